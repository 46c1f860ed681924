import path from 'node:path';
import { createCli, formatJson, formatTable, globals, Option, OperationError, UsageError, type Command, type Streams } from '@minicore/cli';
import { fromUnitOptions, toUnitOptions, type DesiredState, type MachineJson, type UnitJson } from '@minicore/fleet-api';
import { parseUnitFile, parseUnitName, serializeUnitFile, templateName, unitHash, UnitFileError, lastValue } from '@minicore/unit-file';
import { installAgentCommands } from './agent-commands.js';
import { FleetClient } from './fleet-client.js';
import { isGlobal, localPathFor, readLocalUnit, unitNameFromArg } from './unit-args.js';

export interface SchedctlOptions {
  streams: Streams;
  /** Time between two polls while blocking (fleetctl: 250 ms). */
  pollMs?: number;
  /** Ends `journal -f` when aborted (in-process callers); a real process stops on SIGINT or SIGTERM. */
  interrupt?: AbortSignal;
}

type Output = 'table' | 'json';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** schedctl: fleetctl's command set over fleet's v1 API. */
export function createSchedctl(options: SchedctlOptions): Command {
  const { streams } = options;
  const pollMs = options.pollMs ?? 250;
  const program = createCli<Output>(
    {
      name: 'schedctl',
      description: "Submit, start and inspect units on a Minicore cluster through schedulerd (fleet's v1 API)",
      version: '0.1.0',
      endpoint: { flag: 'endpoint', env: 'SCHEDCTL_ENDPOINT', default: 'http://127.0.0.1:4002', description: 'schedulerd API: http://HOST:PORT or unix:///path.sock' },
      outputs: ['table', 'json'],
    },
    streams,
  );

  const client = (command: Command) => {
    const { endpoints } = globals<Output>(command);
    if (endpoints.length > 1) streams.stderr('schedctl: only the first endpoint is used\n');
    return new FleetClient(endpoints[0]!);
  };
  const output = (command: Command) => globals<Output>(command).output;

  const blockOptions = (command: Command) =>
    command
      .addOption(new Option('--no-block', 'do not wait until the units reach the state'))
      .addOption(new Option('--block-attempts <n>', 'polls (every 250 ms) before giving up; 0 waits forever').default('0'));

  function attemptsOf(raw: string): number {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--block-attempts must be a whole number, got "${raw}"`);
    return n === 0 ? Number.POSITIVE_INFINITY : n;
  }

  /** The unit as the cluster has it, submitting the local file (or the template's options) first if needed. */
  async function ensureSubmitted(api: FleetClient, arg: string, replace: boolean): Promise<UnitJson> {
    const name = unitNameFromArg(arg);
    const existing = await api.unit(name);
    if (existing && !replace) return existing;
    let text = await readLocalUnit(localPathFor(arg));
    let options = text === undefined ? undefined : fromUnitOptions(parse(text, localPathFor(arg)));
    if (!options) {
      const template = parseUnitName(name).isInstance ? templateName(name) : undefined;
      if (!template) {
        if (existing) return existing;
        throw new OperationError(`unable to find unit file ${localPathFor(arg)}`);
      }
      const fromCluster = await api.unit(template);
      if (fromCluster?.options) options = fromCluster.options;
      else {
        text = await readLocalUnit(path.join(path.dirname(arg), template));
        if (text === undefined) throw new OperationError(`unable to find unit ${name}, nor its template ${template} in the cluster or beside ${arg}`);
        options = fromUnitOptions(parse(text, template));
      }
    }
    if (existing && replace && existing.options && unitHash(toUnitOptions(existing.options)) === unitHash(toUnitOptions(options))) return existing;
    await api.putUnit(name, { name, options, ...(existing && replace ? { desiredState: existing.desiredState ?? 'inactive' } : {}) });
    return (await api.unit(name)) ?? { name, options };
  }

  function parse(text: string, file: string) {
    try {
      return parseUnitFile(text);
    } catch (error) {
      if (error instanceof UnitFileError) throw new OperationError(`${file}: ${error.message}`);
      throw error;
    }
  }

  async function waitFor(api: FleetClient, names: string[], state: DesiredState, attempts: number, alsoActive: boolean): Promise<void> {
    for (const name of names) {
      const unit = await api.unit(name);
      if (!unit || isGlobal(unit)) continue;
      let reached = false;
      for (let attempt = 0; attempt < attempts; attempt++) {
        const now = await api.unit(name);
        if (now?.currentState === state) {
          if (!alsoActive) {
            reached = true;
            break;
          }
          const unitState = await api.unitState(name);
          if (unitState?.systemdActiveState === 'active' && unitState.systemdLoadState === 'loaded') {
            reached = true;
            break;
          }
        }
        await sleep(pollMs);
      }
      if (!reached) throw new OperationError(`unit ${name} did not reach ${state}${alsoActive ? ' and active' : ''} in time`);
      streams.stdout(`Unit ${name} ${state}${now(await api.unit(name))}\n`);
    }
    function now(unit: UnitJson | undefined): string {
      return unit?.machineID ? ` on ${unit.machineID.slice(0, 8)}` : '';
    }
  }

  function transition(command: string, state: DesiredState, description: string, submit: boolean) {
    const sub = program.command(`${command} <units...>`).description(description);
    if (submit) sub.option('--replace', 'replace units already in the cluster with the local files');
    blockOptions(sub).action(async (args: string[], flags: { block: boolean; blockAttempts: string; replace?: boolean }, self: Command) => {
      const api = client(self);
      const attempts = attemptsOf(flags.blockAttempts);
      const names: string[] = [];
      for (const arg of args) {
        const name = unitNameFromArg(arg);
        const unit = submit ? await ensureSubmitted(api, arg, flags.replace ?? false) : await api.unit(name);
        if (!unit) throw new OperationError(`unit ${name} does not exist`);
        await api.putUnit(name, { name, desiredState: state });
        names.push(name);
        if (!flags.block) streams.stdout(`Triggered unit ${name} ${command}\n`);
      }
      if (flags.block) await waitFor(api, names, state, attempts, state === 'launched');
    });
  }

  program
    .command('submit <units...>')
    .description('send unit files to the cluster without scheduling them')
    .option('--replace', 'replace units already in the cluster with the local files')
    .action(async (args: string[], flags: { replace?: boolean }, self: Command) => {
      const api = client(self);
      for (const arg of args) {
        const unit = await ensureSubmitted(api, arg, flags.replace ?? false);
        streams.stdout(`Unit ${unit.name ?? unitNameFromArg(arg)} ${flags.replace ? 'replaced' : 'submitted'}\n`);
      }
    });
  transition('load', 'loaded', 'schedule units on machines without starting them', true);
  transition('start', 'launched', 'schedule units and start them', true);
  transition('stop', 'loaded', 'stop units (they stay loaded on their machines)', false);
  transition('unload', 'inactive', 'stop units and take them off their machines', false);

  program
    .command('destroy <units...>')
    .description('remove units from the cluster')
    .action(async (args: string[], _flags: unknown, self: Command) => {
      const api = client(self);
      for (const arg of args) {
        const name = unitNameFromArg(arg);
        if (!(await api.unit(name))) {
          streams.stderr(`Unit ${name} does not exist\n`);
          continue;
        }
        await api.deleteUnit(name);
        streams.stdout(`Destroyed ${name}\n`);
      }
    });

  program
    .command('cat <unit>')
    .description("print a unit's file as the cluster has it")
    .action(async (arg: string, _flags: unknown, self: Command) => {
      const name = unitNameFromArg(arg);
      const unit = await client(self).unit(name);
      if (!unit) throw new OperationError(`Unit ${name} not found`);
      streams.stdout(output(self) === 'json' ? formatJson(unit) : serializeUnitFile(toUnitOptions(unit.options ?? [])));
    });

  const listOptions = (command: Command, fields: string) => command.option('--fields <list>', `columns: ${fields}`).option('--full', 'do not shorten ids and hashes').option('--no-legend', 'omit the header line');
  const table = (headers: string[], rows: unknown[][], legend: boolean) => {
    const text = formatTable(headers, rows);
    return legend ? text : text.slice(text.indexOf('\n') + 1);
  };
  function pickFields<T>(raw: string | undefined, defaults: string, known: Record<string, (item: T) => unknown>): [string, (item: T) => unknown][] {
    const wanted = (raw ?? defaults).split(',').map((field) => field.trim()).filter(Boolean);
    for (const field of wanted) if (!(field in known)) throw new UsageError(`unknown field "${field}": choose from ${Object.keys(known).join(',')}`);
    return wanted.map((field) => [field, known[field]!]);
  }
  const machineLabel = (id: string | undefined, machines: Map<string, MachineJson>, full: boolean) => {
    if (!id) return '-';
    const ip = machines.get(id)?.primaryIP ?? '';
    return `${full ? id : `${id.slice(0, 8)}...`}${ip ? `/${ip}` : ''}`;
  };

  listOptions(program.command('list-units').description('the state of each unit on its machine'), 'unit,load,active,sub,machine,hash').action(async (flags: { fields?: string; full?: boolean; legend: boolean }, self: Command) => {
    const api = client(self);
    const [states, machines] = await Promise.all([api.states(), api.machines()]);
    if (output(self) === 'json') return streams.stdout(formatJson(states));
    const byId = new Map(machines.map((machine) => [machine.id, machine]));
    const full = flags.full ?? false;
    const fields = pickFields<(typeof states)[number]>(flags.fields, 'unit,machine,active,sub', {
      unit: (s) => s.name,
      load: (s) => s.systemdLoadState,
      active: (s) => s.systemdActiveState,
      sub: (s) => s.systemdSubState,
      machine: (s) => machineLabel(s.machineID, byId, full),
      hash: (s) => (full ? s.hash : s.hash?.slice(0, 7)),
    });
    streams.stdout(table(fields.map(([f]) => f.toUpperCase()), states.map((s) => fields.map(([, get]) => get(s))), flags.legend));
  });

  listOptions(program.command('list-unit-files').description('the units the cluster knows, with desired and current state'), 'unit,hash,dstate,state,target,global,desc,tmachine').action(async (flags: { fields?: string; full?: boolean; legend: boolean }, self: Command) => {
    const api = client(self);
    const [units, machines] = await Promise.all([api.units(), api.machines()]);
    if (output(self) === 'json') return streams.stdout(formatJson(units));
    const byId = new Map(machines.map((machine) => [machine.id, machine]));
    const full = flags.full ?? false;
    const fields = pickFields<UnitJson>(flags.fields, 'unit,hash,dstate,state,target', {
      unit: (u) => u.name,
      hash: (u) => {
        const hash = unitHash(toUnitOptions(u.options ?? []));
        return full ? hash : hash.slice(0, 7);
      },
      dstate: (u) => u.desiredState,
      state: (u) => (isGlobal(u) ? '-' : u.currentState),
      target: (u) => (isGlobal(u) ? 'global' : machineLabel(u.machineID, byId, full)),
      global: (u) => (isGlobal(u) ? 'global' : '-'),
      desc: (u) => lastValue(toUnitOptions(u.options ?? []), 'Unit', 'Description'),
      tmachine: (u) => (isGlobal(u) ? 'global' : machineLabel(u.machineID, byId, full)),
    });
    streams.stdout(table(fields.map(([f]) => f.toUpperCase()), units.map((u) => fields.map(([, get]) => get(u))), flags.legend));
  });

  listOptions(program.command('list-machines').description('the machines of the cluster'), 'machine,ip,metadata').action(async (flags: { fields?: string; full?: boolean; legend: boolean }, self: Command) => {
    const machines = await client(self).machines();
    if (output(self) === 'json') return streams.stdout(formatJson(machines));
    const full = flags.full ?? false;
    const fields = pickFields<MachineJson>(flags.fields, 'machine,ip,metadata', {
      machine: (m) => (full ? m.id : `${m.id.slice(0, 8)}...`),
      ip: (m) => m.primaryIP,
      metadata: (m) => Object.entries(m.metadata ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    });
    streams.stdout(table(fields.map(([f]) => f.toUpperCase()), machines.map((m) => fields.map(([, get]) => get(m))), flags.legend));
  });

  installAgentCommands(program, { streams, client, json: (command) => output(command) === 'json', ...(options.interrupt ? { interrupt: options.interrupt } : {}) });

  return program;
}

