import { isDesiredState, parseRecord, schedulerKeys, type DesiredState } from '@minicore/fleet-api';

/**
 * Minicore's addition to fleet's layout: `<prefix>/schedule/<machine>`, one key per machine holding
 * every unit it should run (its placed units and the global units its metadata matches), written
 * by the engine alone from fleet's own keys. fleet's agents each read every unit to find their own,
 * which is what sank fleet at a few hundred units; here an agent reads and watches one key. One key
 * per machine (not per unit) also keeps the engine's writes per pass at one per machine whose list
 * changed. fleet's keys stay the truth (the API and `fleetctl --driver=etcd` use them); the engine
 * rewrites the index from them on every pass, so a lost write heals on the next one.
 */
export interface ScheduleEntry {
  name: string;
  hash: string;
  desiredState: DesiredState;
}

export function scheduleRoot(prefix: string): string {
  return schedulerKeys(prefix).schedules;
}

export function machineScheduleKey(prefix: string, machineId: string): string {
  return schedulerKeys(prefix).machineSchedule(machineId);
}

/** The stored value: entries in name order, so equal lists encode to equal text. */
export function encodeSchedule(entries: Iterable<ScheduleEntry>): string {
  const units = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(({ name, hash, desiredState }) => ({ name, hash, desiredState }));
  return JSON.stringify({ units });
}

/** The entries of a stored value; malformed entries are left out. */
export function decodeSchedule(text: string | undefined): ScheduleEntry[] {
  const record = parseRecord<{ units?: unknown }>(text);
  if (!record || !Array.isArray(record.units)) return [];
  return record.units.flatMap((item: { name?: unknown; hash?: unknown; desiredState?: unknown }) =>
    typeof item?.name === 'string' && item.name !== '' && typeof item.hash === 'string' && /^[0-9a-f]{40}$/.test(item.hash) && isDesiredState(item.desiredState) ? [{ name: item.name, hash: item.hash, desiredState: item.desiredState }] : [],
  );
}
