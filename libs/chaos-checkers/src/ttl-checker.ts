import { verdict, type Verdict } from './verdict.js';
import { inRanges, type KnownChange, type WatchEvent } from './watch-checker.js';

/** A key created with a TTL (create, prevExist=false, unique name: each is created at most once). */
export interface TtlKey {
  key: string;
  ttlMs: number;
  outcome: 'ok' | 'fail' | 'unknown';
  /** When the create was sent, ms since the run started. */
  call: number;
  /** Its createdIndex, when the create was acknowledged. */
  index?: number;
}

export interface TtlCheckInput {
  keys: readonly TtlKey[];
  /** The reference log from the watch checker (index -> change). */
  log: ReadonlyMap<number, WatchEvent | KnownChange>;
  /** The index ranges some watcher saw completely. */
  covered: readonly [number, number][];
  /** The last index of the run (the end sentinel's). */
  endIndex: number;
  /** Whether each key still existed at the final quorum read (undefined: not read). */
  present: ReadonlyMap<string, boolean>;
  /** How much earlier than its TTL an expiry may be seen (etcd expires on whole seconds). Default 1000 ms. */
  toleranceMs?: number;
  /**
   * When some kvd's wall clock was moved (clock-jump faults, ms). TTLs are wall-clock expiry times
   * (etcd v2's semantics: the member that takes the create computes the expiry time, the leader's
   * clock decides when it has passed), so the timing of a key created within 5 s before a jump
   * (TTLs are 4 s at most) or 2 s after it ended is not judged: it may expire early, or late enough to
   * outlive the run. It must still expire at most once and be removed by nothing else.
   */
  clockJumps?: readonly { startMs: number; endMs: number }[];
}

const normalize = (key: string) => (key.startsWith('/') ? key : `/${key}`);

/**
 * TTL keys expire exactly once: an acknowledged TTL key has one expire event (none early), is gone
 * at the end, and is deleted by nothing else; a key whose create had an unknown outcome expires at
 * most once. When no watcher saw the whole range after a key's creation, a missing expire event
 * cannot be judged: it is counted as unverified, not failed.
 */
export function checkTtls(input: TtlCheckInput): Verdict {
  const tolerance = input.toleranceMs ?? 1000;
  const byKey = new Map<string, WatchEvent[]>();
  for (const change of input.log.values()) {
    if (!('action' in change)) continue;
    const key = normalize(change.key);
    const list = byKey.get(key);
    if (list) list.push(change);
    else byKey.set(key, [change]);
  }
  const problems: string[] = [];
  let once = 0;
  let unverified = 0;
  let jumped = 0;
  const duringJump = (call: number) => (input.clockJumps ?? []).some((jump) => call >= jump.startMs - 5_000 && call <= jump.endMs + 2_000);
  for (const ttl of input.keys) {
    if (ttl.outcome === 'fail') continue;
    const key = normalize(ttl.key);
    const events = (byKey.get(key) ?? []).sort((a, b) => a.index - b.index);
    const expiries = events.filter((event) => event.action === 'expire');
    const removals = events.filter((event) => event.action !== 'expire' && event.value === null);
    const stillThere = input.present.get(ttl.key) === true;
    if (expiries.length > 1) problems.push(`${ttl.key} expired ${expiries.length} times: at indices ${expiries.map((event) => event.index).join(', ')}`);
    if (removals.length > 0) problems.push(`${ttl.key} was removed by ${removals.map((event) => `${event.action} @${event.index}`).join(', ')}, not by its TTL`);
    if (duringJump(ttl.call)) {
      jumped += 1;
      continue;
    }
    for (const expiry of expiries) {
      if (expiry.atMs < ttl.call + ttl.ttlMs - tolerance) problems.push(`${ttl.key} (TTL ${ttl.ttlMs / 1000} s, created at ${(ttl.call / 1000).toFixed(2)} s) expired early: seen at ${(expiry.atMs / 1000).toFixed(2)} s`);
    }
    if (stillThere) problems.push(`${ttl.key} (TTL ${ttl.ttlMs / 1000} s, create ${ttl.outcome}) still exists at the end of the run`);
    if (ttl.outcome !== 'ok') continue;
    if (expiries.length === 1) {
      once += 1;
      continue;
    }
    if (expiries.length === 0 && !stillThere) {
      // Gone, but no expire event: a failure only if some watcher saw every index since the creation.
      const from = (ttl.index ?? Infinity) + 1;
      let complete = Number.isFinite(from) && from <= input.endIndex;
      for (let index = from; complete && index <= input.endIndex; index++) complete = inRanges(input.covered, index);
      if (complete) problems.push(`${ttl.key} (created @${ttl.index}) disappeared without an expire event, though the watchers saw every index up to ${input.endIndex}`);
      else unverified += 1;
    }
  }
  const acknowledged = input.keys.filter((ttl) => ttl.outcome === 'ok').length;
  const unknown = input.keys.filter((ttl) => ttl.outcome === 'unknown').length;
  return verdict('TTL keys expire exactly once', problems, `${acknowledged} acknowledged TTL keys (+${unknown} with an unknown create): ${once} seen expiring once, ${unverified} unverified (no watcher saw their expiry range)${input.clockJumps?.length ? `, ${jumped} created around a clock jump (timing not judged)` : ''}`);
}
