import { interpretAnswer, interpretTransportError, requestFor, type Answer, type EtcdBody, type EtcdInput, type EtcdOutput, type Operation } from '@minicore/linearizability';

export type KvOperation = Operation<EtcdInput, EtcdOutput>;

import { seededRandom } from '@minicore/seeded-random';

export { seededRandom };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends one operation to one member and says how it ended. */
export async function perform(endpoint: string, input: EtcdInput, timeoutMs: number): Promise<Answer> {
  const { method, path, form } = requestFor(input);
  let response: Response;
  try {
    response = await fetch(`${endpoint}${path}`, {
      method,
      ...(form ? { body: new URLSearchParams(form) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return interpretTransportError(input, (error as { cause?: { code?: string } }).cause?.code, (error as Error).name);
  }
  let body: EtcdBody;
  try {
    body = (await response.json()) as EtcdBody;
  } catch (error) {
    if (input.op === 'read') return { kind: 'none', reason: `bad body: ${(error as Error).message}` };
    return { kind: 'unknown', reason: `bad body (${response.status}): ${(error as Error).message}` };
  }
  return interpretAnswer(input, response.status, body);
}

export interface RecorderOptions {
  /** The members' client URLs; each operation goes to one of them at random (some may be down). */
  endpoints: readonly string[];
  keys: readonly string[];
  clients: number;
  random: () => number;
  /** The client-side timeout: past it, a change has an unknown outcome (default 3 s). */
  requestTimeoutMs?: number;
}

export interface RecorderStats {
  ok: number;
  failed: number;
  unknown: number;
  dropped: number;
  /** The reasons of unknown and dropped operations, counted. */
  reasons: Record<string, number>;
}

/**
 * K concurrent clients running a random mix of quorum reads, writes, creates, CAS, deletes and
 * compare-and-deletes on a few keys, recording every operation with its call and return times
 * (performance.now()). Every written value is unique. A change with an unknown outcome is recorded
 * as pending (return: Infinity) and its client is replaced by a fresh one, as Jepsen does.
 */
export class HistoryRecorder {
  readonly history: KvOperation[] = [];
  readonly stats: RecorderStats = { ok: 0, failed: 0, unknown: 0, dropped: 0, reasons: {} };
  private running = false;
  private loops: Promise<void>[] = [];
  private nextClient = 0;
  private nextValue = 0;
  /** The last value each key was seen with, used as CAS expectations (often right, sometimes stale). */
  private readonly seen = new Map<string, string>();

  constructor(private readonly options: RecorderOptions) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.options.clients }, () => this.client());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Runs one operation on one endpoint and records it (used for the final reads too). */
  async run(clientId: string, endpoint: string, input: EtcdInput): Promise<Answer> {
    const call = performance.now();
    const outcome = await perform(endpoint, input, this.options.requestTimeoutMs ?? 3000);
    const returned = performance.now();
    switch (outcome.kind) {
      case 'answer':
        this.history.push({ clientId, input, output: outcome.output, call, return: returned });
        if (outcome.output.ok) this.stats.ok += 1;
        else this.stats.failed += 1;
        if (input.op === 'read' && typeof outcome.output.value === 'string') this.seen.set(input.key, outcome.output.value);
        else if (outcome.output.ok && 'value' in input) this.seen.set(input.key, input.value);
        break;
      case 'unknown':
        this.history.push({ clientId, input, output: undefined, call, return: Infinity });
        this.stats.unknown += 1;
        this.count(outcome.reason);
        break;
      case 'none':
        this.stats.dropped += 1;
        this.count(outcome.reason);
        break;
    }
    return outcome;
  }

  private count(reason: string): void {
    const short = reason.slice(0, 80);
    this.stats.reasons[short] = (this.stats.reasons[short] ?? 0) + 1;
  }

  private async client(): Promise<void> {
    const { random, endpoints } = this.options;
    let clientId = `c${this.nextClient++}`;
    while (this.running) {
      const endpoint = endpoints[Math.floor(random() * endpoints.length)] as string;
      const outcome = await this.run(clientId, endpoint, this.nextInput(clientId));
      if (outcome.kind === 'unknown') clientId = `c${this.nextClient++}`;
      // A member that is down refuses at once: do not spin on it.
      if (outcome.kind !== 'answer') await sleep(20);
    }
  }

  private nextInput(clientId: string): EtcdInput {
    const { random, keys } = this.options;
    const key = keys[Math.floor(random() * keys.length)] as string;
    const value = `${clientId}-${this.nextValue++}`;
    const expected = this.seen.get(key) ?? 'none';
    const roll = random();
    if (roll < 0.4) return { op: 'read', key };
    if (roll < 0.65) return { op: 'write', key, value };
    if (roll < 0.85) return { op: 'cas', key, expected, value };
    if (roll < 0.9) return { op: 'create', key, value };
    if (roll < 0.95) return { op: 'delete', key };
    return { op: 'cad', key, expected };
  }
}

/** A quorum read of every key, retried on each running endpoint until it answers (bounded by `timeoutMs`). */
export async function finalReads(recorder: HistoryRecorder, endpoints: readonly string[], keys: readonly string[], timeoutMs = 20_000): Promise<Map<string, EtcdOutput>> {
  const deadline = Date.now() + timeoutMs;
  const results = new Map<string, EtcdOutput>();
  for (const key of keys) {
    let attempt = 0;
    for (;;) {
      const endpoint = endpoints[attempt++ % endpoints.length] as string;
      const outcome = await recorder.run('final', endpoint, { op: 'read', key });
      if (outcome.kind === 'answer') {
        results.set(key, outcome.output);
        break;
      }
      if (Date.now() > deadline) throw new Error(`no quorum read of ${key} answered within ${timeoutMs} ms: last ${outcome.reason}`);
      await sleep(100);
    }
  }
  return results;
}
