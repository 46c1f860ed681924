import type { EtcdInput } from '@minicore/linearizability';
import { Prng } from '@minicore/seeded-random';
import type { OnceWrite, RecordedOperation, TtlKey } from '@minicore/chaos-checkers';
import type { ClusterMachine } from './cluster.js';
import { now, sleep } from './clock.js';
import { perform } from './http.js';

export const REGISTER_DIR = 'chaos/r';
export const ONCE_DIR = 'chaos/once';
export const TTL_DIR = 'chaos/ttl';

export interface WorkloadOptions {
  machines: readonly ClusterMachine[];
  prng: Prng;
  registers: number;
  clients: number;
  /** Past it, a change has an unknown outcome (default 4 s). */
  requestTimeoutMs?: number;
}

/** An operation the timeline counts (write-once and TTL creates too), with its kind for the report. */
export interface TimedOp {
  kind: string;
  call: number;
  ended: number;
  outcome: RecordedOperation['outcome'];
}

/**
 * The load: register clients (quorum reads, writes, CAS, creates, deletes, compare-and-deletes on a
 * few keys; the linearizability history), a writer of write-once keys (the lost-write check) and a
 * creator of TTL keys (the expiry check). Each request goes to a machine drawn at random; every
 * written value is unique. A client whose change had an unknown outcome is replaced by a fresh one
 * (a new client id), as Jepsen does: the history's clients are then sequential.
 */
export class Workload {
  readonly history: RecordedOperation[] = [];
  readonly once: OnceWrite[] = [];
  readonly ttls: (TtlKey & { value: string })[] = [];
  readonly timed: TimedOp[] = [];
  readonly registerKeys: string[];
  private running = false;
  private loops: Promise<void>[] = [];
  private nextClient = 0;
  private nextValue = 0;
  private readonly seen = new Map<string, string>();
  private readonly timeoutMs: number;

  constructor(private readonly options: WorkloadOptions) {
    this.registerKeys = Array.from({ length: options.registers }, (_, i) => `${REGISTER_DIR}/k${i}`);
    this.timeoutMs = options.requestTimeoutMs ?? 4_000;
  }

  start(): void {
    this.running = true;
    // Each loop draws from its own fork of the seeded generator, so that a loop's choices do not depend on the others' timing.
    this.loops = [...Array.from({ length: this.options.clients }, () => this.registerClient(this.options.prng.fork())), this.onceWriter(this.options.prng.fork()), this.ttlCreator(this.options.prng.fork())];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Runs one register operation and records it; used by the final reads too. */
  async run(clientId: string, machine: ClusterMachine, input: EtcdInput): Promise<RecordedOperation> {
    const call = now();
    const answer = await perform(machine.kvUrl, input, this.timeoutMs);
    const ended = now();
    const base = { clientId, input, machine: machine.name, call, ended };
    const recorded: RecordedOperation =
      answer.kind === 'answer'
        ? { ...base, output: answer.output, return: ended, outcome: answer.output.ok ? 'ok' : 'fail' }
        : { ...base, output: undefined, return: Infinity, outcome: answer.kind, reason: answer.reason };
    this.history.push(recorded);
    this.timed.push({ kind: input.op, call, ended, outcome: recorded.outcome });
    if (answer.kind === 'answer') {
      if (input.op === 'read' && typeof answer.output.value === 'string') this.seen.set(input.key, answer.output.value);
      else if (answer.output.ok && 'value' in input) this.seen.set(input.key, input.value);
    }
    return recorded;
  }

  private async registerClient(prng: Prng): Promise<void> {
    let clientId = `c${this.nextClient++}`;
    while (this.running) {
      const machine = prng.pick(this.options.machines);
      const op = await this.run(clientId, machine, this.nextInput(prng, clientId));
      if (op.outcome === 'unknown') clientId = `c${this.nextClient++}`;
      // A machine that is down refuses at once: do not spin on it.
      if (op.outcome === 'unknown' || op.outcome === 'none') await sleep(50);
    }
  }

  private nextInput(prng: Prng, clientId: string): EtcdInput {
    const key = prng.pick(this.registerKeys);
    const value = `${clientId}-${this.nextValue++}`;
    const expected = this.seen.get(key) ?? 'none';
    const roll = prng.next();
    if (roll < 0.4) return { op: 'read', key };
    if (roll < 0.65) return { op: 'write', key, value };
    if (roll < 0.85) return { op: 'cas', key, expected, value };
    if (roll < 0.9) return { op: 'create', key, value };
    if (roll < 0.95) return { op: 'delete', key };
    return { op: 'cad', key, expected };
  }

  /** Write-once keys (create, prevExist=false): each acknowledged one must survive every fault. */
  private async onceWriter(prng: Prng): Promise<void> {
    let n = 0;
    while (this.running) {
      const key = `${ONCE_DIR}/w${n}`;
      const value = `once-${n++}`;
      const call = now();
      const answer = await perform(prng.pick(this.options.machines).kvUrl, { op: 'create', key, value }, this.timeoutMs);
      const ended = now();
      const outcome = answer.kind === 'answer' ? (answer.output.ok ? 'ok' : 'fail') : answer.kind;
      if (outcome !== 'none') this.once.push({ key, value, outcome });
      this.timed.push({ kind: 'once-write', call, ended, outcome });
      await sleep(outcome === 'ok' ? 100 : 50);
    }
  }

  /** Keys with a TTL of 1 to 4 s, created once each: each must expire exactly once. */
  private async ttlCreator(prng: Prng): Promise<void> {
    let n = 0;
    while (this.running) {
      const key = `${TTL_DIR}/t${n}`;
      const value = `ttl-${n++}`;
      const ttlSeconds = prng.int(1, 4);
      const call = now();
      const answer = await perform(prng.pick(this.options.machines).kvUrl, { op: 'create', key, value }, this.timeoutMs, { ttl: String(ttlSeconds) });
      const ended = now();
      const outcome = answer.kind === 'answer' ? (answer.output.ok ? 'ok' : 'fail') : answer.kind;
      if (outcome !== 'none') this.ttls.push({ key, value, ttlMs: ttlSeconds * 1000, outcome, call, ...(answer.kind === 'answer' && answer.output.index !== undefined ? { index: answer.output.index } : {}) });
      this.timed.push({ kind: 'ttl-create', call, ended, outcome });
      await sleep(250);
    }
  }
}
