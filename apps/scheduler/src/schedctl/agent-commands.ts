import { formatJson, OperationError, UsageError, type Command, type Streams } from '@minicore/cli';
import type { AgentClient } from './agent-client.js';
import type { FleetClient } from './fleet-client.js';
import { formatStatus } from './status-format.js';
import { unitNameFromArg } from './unit-args.js';
import { defaultAgentPort, findOwner, journalRefusals, reachAgent, statusRefusals, type UnitOwner } from './unit-owner.js';

export interface AgentCommandsContext {
  streams: Streams;
  client: (command: Command) => FleetClient;
  json: (command: Command) => boolean;
  /** Ends `journal -f` (tests); without it, SIGINT or SIGTERM do, as Ctrl-C ends fleetctl's. */
  interrupt?: AbortSignal;
}

/** Lines systemctl status shows from the journal. */
const statusJournalLines = 10;

/**
 * `status` and `journal`: fleetctl ran systemctl and journalctl over SSH on the unit's machine;
 * schedctl asks that machine's agent API instead (GET /minicore/v1/units/{name}/status, /journal).
 */
export function installAgentCommands(program: Command, context: AgentCommandsContext): void {
  const { streams } = context;
  const portOption = (command: Command) => command.option('--agent-port <port>', "port of the machines' schedulerd API (default: the --endpoint's port, else 4002)");
  const portOf = (api: FleetClient, raw: string | undefined) => {
    if (raw === undefined) return defaultAgentPort(api.endpoint);
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new UsageError(`--agent-port must be a port number, got "${raw}"`);
    return port;
  };

  portOption(program.command('status <units...>').description("the status of units on their machines, from each machine's agent (as systemctl status)")).action(
    async (args: string[], flags: { agentPort?: string }, self: Command) => {
      const api = context.client(self);
      const port = portOf(api, flags.agentPort);
      // fleetctl checks every unit before it prints any.
      const owners: UnitOwner[] = [];
      for (const arg of args) owners.push(await findOwner(api, unitNameFromArg(arg), statusRefusals));
      const statuses: unknown[] = [];
      for (const [i, owner] of owners.entries()) {
        const reached = await reachAgent(api, owner, port);
        if (context.json(self)) {
          statuses.push(reached.status);
          continue;
        }
        const journal = await reached.agent.journal(owner.name, statusJournalLines).catch((error: unknown) => {
          streams.stderr(`schedctl: journal of ${owner.name}: ${(error as Error).message}\n`);
          return undefined;
        });
        // A blank line between units, as systemctl status prints them.
        streams.stdout(`${i > 0 ? '\n' : ''}${formatStatus(reached.status, owner.unit, reached.machine, journal?.lines)}`);
      }
      if (context.json(self)) streams.stdout(formatJson(statuses.length === 1 ? statuses[0] : statuses));
    },
  );

  portOption(
    program
      .command('journal [units...]')
      .description("a unit's log lines from its machine's agent (as journalctl --unit)")
      .option('--lines <n>', 'number of recent lines', '10')
      .option('-f, --follow', 'keep printing new lines as the unit logs them, until Ctrl-C'),
  ).action(async (args: string[], flags: { lines: string; follow?: boolean; agentPort?: string }, self: Command) => {
    if (args.length !== 1) throw new OperationError('One unit file must be provided.');
    const lines = Number(flags.lines);
    if (!Number.isInteger(lines) || lines < 1 || lines > 100_000) throw new UsageError(`--lines must be a whole number from 1 to 100000, got "${flags.lines}"`);
    const api = context.client(self);
    const owner = await findOwner(api, unitNameFromArg(args[0]!), journalRefusals);
    const { agent } = await reachAgent(api, owner, portOf(api, flags.agentPort));
    if (!flags.follow) {
      const journal = await agent.journal(owner.name, lines);
      if (!journal) throw new OperationError(`Machine ${owner.machineId}'s agent at ${agent.address} does not have unit ${owner.name} loaded any more.`);
      streams.stdout(context.json(self) ? formatJson(journal) : journal.lines.map((line) => `${line}\n`).join(''));
      return;
    }
    await follow(agent, owner, lines);
  });

  async function follow(agent: AgentClient, owner: UnitOwner, lines: number): Promise<void> {
    const stop = new AbortController();
    const interrupted = () => stop.abort();
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
    if (context.interrupt) context.interrupt.addEventListener('abort', interrupted, { once: true });
    else for (const signal of signals) process.once(signal, interrupted);
    try {
      if (context.interrupt?.aborted) return;
      const response = await agent.follow(owner.name, lines, stop.signal);
      const ended = await new Promise<'closed' | 'interrupted'>((resolve) => {
        response.setEncoding('utf8');
        response.on('data', (text: string) => streams.stdout(text));
        response.once('end', () => resolve(stop.signal.aborted ? 'interrupted' : 'closed'));
        response.once('error', () => resolve(stop.signal.aborted ? 'interrupted' : 'closed'));
        response.once('close', () => resolve(stop.signal.aborted ? 'interrupted' : 'closed'));
        stop.signal.addEventListener('abort', () => resolve('interrupted'), { once: true });
      });
      response.destroy();
      // Ctrl-C ends a follow normally (journalctl -f exits 0); the agent ending it means its schedulerd stopped.
      if (ended === 'closed') throw new OperationError(`the journal of ${owner.name} stopped: machine ${owner.machineId}'s agent at ${agent.address} closed the stream (schedulerd stopped or restarted?)`);
    } catch (error) {
      if ((error as Error).name === 'AbortError' && stop.signal.aborted) return;
      throw error;
    } finally {
      context.interrupt?.removeEventListener('abort', interrupted);
      for (const signal of signals) process.removeListener(signal, interrupted);
    }
  }
}
