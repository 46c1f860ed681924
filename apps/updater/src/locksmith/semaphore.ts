import { minicoreKeys } from '@minicore/kv-client';

/**
 * locksmith's reboot semaphore, byte for byte: the key and the JSON that `locksmithctl` and
 * locksmithd read and write in etcd (research notes, fleet-locksmith §9.2), so a real locksmithctl
 * pointed at kv sees the same lock. The key is spelled in kv-client's `minicoreKeys`.
 */
export const REBOOT_LOCK_KEY: string = minicoreKeys.rebootLock;

/** locksmith's per-group semaphore: `…/rebootlock/groups/<url.QueryEscape(group)>/semaphore`; the default group "" is the plain key. */
export function rebootLockKey(group = ''): string {
  if (group === '') return REBOOT_LOCK_KEY;
  return `/coreos.com/updateengine/rebootlock/groups/${queryEscape(group)}/semaphore`;
}

/** Go's url.QueryEscape: like encodeURIComponent, but space is `+` and `!'()*` are escaped too. */
function queryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface Semaphore {
  semaphore: number;
  max: number;
  /** Sorted machine ids; `null` in locksmith's initial value, `[]` after the last unlock. */
  holders: string[] | null;
}

/** What locksmith writes when the key does not exist yet. */
export const initialSemaphore: Semaphore = { semaphore: 1, max: 1, holders: null };

/** A semaphore rule said no; the messages are locksmith's own. */
export class SemaphoreError extends Error {
  override name = 'SemaphoreError';
  constructor(
    readonly code: 'MC_ERR_SEMAPHORE_FULL' | 'MC_ERR_HOLDER_EXISTS' | 'MC_ERR_HOLDER_MISSING' | 'MC_ERR_SEMAPHORE_VALUE',
    message: string,
  ) {
    super(message);
  }
}

export function parseSemaphore(text: string): Semaphore {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SemaphoreError('MC_ERR_SEMAPHORE_VALUE', `the reboot semaphore is not JSON: ${text.slice(0, 100)}`);
  }
  const s = value as Partial<Semaphore> | null;
  const holdersOk = s !== null && (s.holders === null || s.holders === undefined || (Array.isArray(s.holders) && s.holders.every((h) => typeof h === 'string')));
  if (s === null || typeof s !== 'object' || !Number.isInteger(s.semaphore) || !Number.isInteger(s.max) || !holdersOk) {
    throw new SemaphoreError('MC_ERR_SEMAPHORE_VALUE', `the reboot semaphore is not {"semaphore":N,"max":M,"holders":[...]}: ${text.slice(0, 100)}`);
  }
  return { semaphore: s.semaphore!, max: s.max!, holders: s.holders ?? null };
}

/** Field order as Go's encoding/json writes the struct. */
export function serializeSemaphore(s: Semaphore): string {
  return JSON.stringify({ semaphore: s.semaphore, max: s.max, holders: s.holders });
}

/** Lock: the count is checked first (so a holder cannot re-lock at 0, locksmith#58), then the holder. */
export function lockSemaphore(s: Semaphore, holder: string): Semaphore {
  if (s.semaphore <= 0) throw new SemaphoreError('MC_ERR_SEMAPHORE_FULL', `semaphore is at ${s.semaphore}`);
  const holders = s.holders ?? [];
  if (holders.includes(holder)) throw new SemaphoreError('MC_ERR_HOLDER_EXISTS', 'holder exists');
  return { semaphore: s.semaphore - 1, max: s.max, holders: [...holders, holder].sort() };
}

export function unlockSemaphore(s: Semaphore, holder: string): Semaphore {
  const holders = s.holders ?? [];
  if (!holders.includes(holder)) throw new SemaphoreError('MC_ERR_HOLDER_MISSING', 'holder does not exist');
  return { semaphore: s.semaphore + 1, max: s.max, holders: holders.filter((h) => h !== holder) };
}

/** SetMax: the free count moves by the change of max; current holders keep their places. */
export function setSemaphoreMax(s: Semaphore, max: number): Semaphore {
  return { semaphore: s.semaphore + max - s.max, max, holders: s.holders };
}
