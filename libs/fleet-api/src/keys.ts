/**
 * The scheduler's kv key layout, in one place. It is fleet's own layout (under fleet's default
 * prefix), so fleet tools reading etcd directly (`fleetctl --driver=etcd`) see the same cluster:
 *
 * | key | value | TTL | writer |
 * | `unit/<sha1>` | `{"Raw": canonical text}` | none, never deleted | API on create |
 * | `job/<unit>/object` | `{"Name","UnitHash":[20 byte values]}` | none | API |
 * | `job/<unit>/target-state` | inactive / loaded / launched | none | API |
 * | `job/<unit>/target` | machine id (prevExist=false; deleted with prevValue) | none | engine |
 * | `job/<unit>/job-state` | machine id: the unit runs there | agent TTL | agent |
 * | `states/<unit>/<machine>` | UnitStateRecord | agent TTL | agent |
 * | `machines/<id>/object` | MachineRecord | agent TTL | agent |
 * | `lease/engine-leader` | `{"MachineID","Version":1}` | 5 × reconcile interval | engine |
 * | `engine/version` | `1` | none | engine |
 * | `schedule/<machine>` | `{"units":[{name,hash,desiredState}]}`: what the machine should run | none | engine |
 *
 * `schedule/` is Minicore's addition (fleet's agents read every unit instead): the engine rebuilds
 * it from fleet's keys on every pass, and each agent reads and watches its own key.
 */
export const defaultKeyPrefix = '/_coreos.com/fleet';

export interface SchedulerKeys {
  prefix: string;
  unitBlob(hash: string): string;
  jobs: string;
  job(unit: string): string;
  jobObject(unit: string): string;
  targetState(unit: string): string;
  target(unit: string): string;
  jobState(unit: string): string;
  states: string;
  unitStates(unit: string): string;
  unitState(unit: string, machineId: string): string;
  machines: string;
  machineObject(machineId: string): string;
  engineLease: string;
  engineVersion: string;
  schedules: string;
  machineSchedule(machineId: string): string;
}

export function schedulerKeys(prefix = defaultKeyPrefix): SchedulerKeys {
  const root = prefix.replace(/\/+$/, '');
  const segment = (text: string, what: string) => {
    if (text === '' || text.includes('/')) throw new TypeError(`${what} "${text}" cannot be a kv key segment`);
    return text;
  };
  return {
    prefix: root,
    unitBlob: (hash) => `${root}/unit/${segment(hash, 'unit hash')}`,
    jobs: `${root}/job`,
    job: (unit) => `${root}/job/${segment(unit, 'unit name')}`,
    jobObject: (unit) => `${root}/job/${segment(unit, 'unit name')}/object`,
    targetState: (unit) => `${root}/job/${segment(unit, 'unit name')}/target-state`,
    target: (unit) => `${root}/job/${segment(unit, 'unit name')}/target`,
    jobState: (unit) => `${root}/job/${segment(unit, 'unit name')}/job-state`,
    states: `${root}/states`,
    unitStates: (unit) => `${root}/states/${segment(unit, 'unit name')}`,
    unitState: (unit, machineId) => `${root}/states/${segment(unit, 'unit name')}/${segment(machineId, 'machine id')}`,
    machines: `${root}/machines`,
    machineObject: (machineId) => `${root}/machines/${segment(machineId, 'machine id')}/object`,
    engineLease: `${root}/lease/engine-leader`,
    engineVersion: `${root}/engine/version`,
    schedules: `${root}/schedule`,
    machineSchedule: (machineId) => `${root}/schedule/${segment(machineId, 'machine id')}`,
  };
}
