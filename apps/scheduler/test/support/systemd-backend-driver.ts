// Runs INSIDE a node container (docker exec -i), next to the real systemd: the SystemdBackend as
// schedulerd's agent uses it, driven by JSON lines on stdin. Each request `{id, op, args}` gets
// `{id, result}` or `{id, error}`; each backend change is pushed as `{event: 'change', name, state}`.
// End of stdin is a graceful schedulerd stop (close(): units keep running); op `crash` exits at once.
import { createInterface } from 'node:readline';
import { createLogger } from '@minicore/log';
import { SystemdBackend } from '../../src/agent/systemd-backend.js';

const logger = createLogger({ name: 'systemd-backend-driver', destination: process.stderr });
const backend = new SystemdBackend({ logger });
const send = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);
backend.onChange((name) => send({ event: 'change', name, state: backend.list().find((unit) => unit.name === name)?.state }));

type Request = { id: number; op: string; args: unknown[] };

const ops: Record<string, (...args: never[]) => unknown> = {
  init: () => backend.init(),
  list: () => backend.list(),
  status: (name: string) => backend.status(name) ?? null,
  load: (name: string, options: { section: string; name: string; value: string }[], hash: string) => backend.load(name, options, hash),
  unload: (name: string) => backend.unload(name),
  start: (name: string) => backend.start(name),
  stop: (name: string) => backend.stop(name),
  journal: (name: string, lines: number) => backend.journal(name, lines),
  followJournal: async (name: string, lines: number, until: string) => {
    // Follows until a line containing `until` arrives: proves lines logged after the call come through.
    const stop = new AbortController();
    const seen: string[] = [];
    for await (const line of backend.followJournal(name, lines, stop.signal)) {
      seen.push(line);
      if (line.includes(until)) stop.abort();
    }
    return seen;
  },
  crash: () => process.exit(1),
};

let queue = Promise.resolve();
const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  const request = JSON.parse(line) as Request;
  const op = ops[request.op];
  // One at a time, in order, as the agent calls its backend; follows run beside them.
  const run = async () => {
    try {
      if (!op) throw new Error(`unknown op ${request.op}`);
      send({ id: request.id, result: (await (op as (...args: unknown[]) => unknown)(...request.args)) ?? null });
    } catch (error) {
      send({ id: request.id, error: (error as Error).message });
    }
  };
  if (request.op === 'followJournal') void run();
  else queue = queue.then(run);
});
input.on('close', () => {
  void queue.then(async () => {
    await backend.close();
    process.exit(0);
  });
});
