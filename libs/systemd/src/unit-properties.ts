import { UNIT_INTERFACE, SERVICE_INTERFACE } from './names.js';

/** The properties of a unit (and, for services, of its main process) that a scheduler follows. */
export interface UnitProperties {
  /** loaded, not-found, bad-setting, error, masked, stub, merged. */
  loadState: string;
  /** active, reloading, inactive, failed, activating, deactivating. */
  activeState: string;
  /** The unit type's own state: running, exited, dead, failed, auto-restart, start-pre... */
  subState: string;
  /** Services only: 0 when no main process runs. */
  mainPid: number;
  /** Services only: automatic restarts since the unit was started by a job. */
  nRestarts: number;
  /** Services only: how the last main process ended: a CLD_* code (1 exited, 2 killed, 3 dumped), 0 if none. */
  execMainCode: number;
  /** The exit status, or the signal number when killed. */
  execMainStatus: number;
  /** Services only: success, exit-code, signal, core-dump, timeout, watchdog, start-limit-hit, resources... */
  result: string;
  /** When ActiveState or SubState last changed; undefined when it never did. */
  stateChangeTimestamp: Date | undefined;
}

/** The interface each property comes from, under its D-Bus name. */
export const followedProperties = {
  LoadState: UNIT_INTERFACE,
  ActiveState: UNIT_INTERFACE,
  SubState: UNIT_INTERFACE,
  StateChangeTimestamp: UNIT_INTERFACE,
  MainPID: SERVICE_INTERFACE,
  NRestarts: SERVICE_INTERFACE,
  ExecMainCode: SERVICE_INTERFACE,
  ExecMainStatus: SERVICE_INTERFACE,
  Result: SERVICE_INTERFACE,
} as const;

export type FollowedProperty = keyof typeof followedProperties;

export const emptyUnitProperties: UnitProperties = {
  loadState: 'stub',
  activeState: 'inactive',
  subState: 'dead',
  mainPid: 0,
  nRestarts: 0,
  execMainCode: 0,
  execMainStatus: 0,
  result: '',
  stateChangeTimestamp: undefined,
};

/** A Variant's value, or the value itself (dbus-next hands out `{signature, value}`). */
function plain(value: unknown): unknown {
  return value !== null && typeof value === 'object' && 'value' in value && 'signature' in value ? (value as { value: unknown }).value : value;
}

/** `t` timestamps are µs since the epoch as BigInt; 0 means "never". */
function timestamp(value: unknown): Date | undefined {
  const micros = typeof value === 'bigint' ? value : typeof value === 'number' ? BigInt(Math.trunc(value)) : 0n;
  return micros === 0n ? undefined : new Date(Number(micros / 1000n));
}

/**
 * Applies D-Bus property values (from GetAll or PropertiesChanged, either interface) to `base`;
 * names this client does not follow are ignored.
 */
export function applyProperties(base: UnitProperties, values: Record<string, unknown>): UnitProperties {
  const next = { ...base };
  for (const [name, raw] of Object.entries(values)) {
    const value = plain(raw);
    switch (name as FollowedProperty) {
      case 'LoadState':
        next.loadState = String(value);
        break;
      case 'ActiveState':
        next.activeState = String(value);
        break;
      case 'SubState':
        next.subState = String(value);
        break;
      case 'StateChangeTimestamp':
        next.stateChangeTimestamp = timestamp(value);
        break;
      case 'MainPID':
        next.mainPid = Number(value);
        break;
      case 'NRestarts':
        next.nRestarts = Number(value);
        break;
      case 'ExecMainCode':
        next.execMainCode = Number(value);
        break;
      case 'ExecMainStatus':
        next.execMainStatus = Number(value);
        break;
      case 'Result':
        next.result = String(value);
        break;
    }
  }
  return next;
}

export function sameProperties(a: UnitProperties, b: UnitProperties): boolean {
  return (
    a.loadState === b.loadState &&
    a.activeState === b.activeState &&
    a.subState === b.subState &&
    a.mainPid === b.mainPid &&
    a.nRestarts === b.nRestarts &&
    a.execMainCode === b.execMainCode &&
    a.execMainStatus === b.execMainStatus &&
    a.result === b.result &&
    a.stateChangeTimestamp?.getTime() === b.stateChangeTimestamp?.getTime()
  );
}

const signalNames: Record<number, string> = { 1: 'HUP', 2: 'INT', 3: 'QUIT', 4: 'ILL', 6: 'ABRT', 8: 'FPE', 9: 'KILL', 11: 'SEGV', 13: 'PIPE', 14: 'ALRM', 15: 'TERM', 10: 'USR1', 12: 'USR2' };

/**
 * How the last main process ended, in systemctl status's words (`code=exited, status=1/FAILURE`
 * without the name: `code=exited, status=1`; `code=killed, signal=KILL`), or undefined if none ran.
 */
export function describeMainExit(properties: Pick<UnitProperties, 'execMainCode' | 'execMainStatus'>): string | undefined {
  switch (properties.execMainCode) {
    case 1:
      return `code=exited, status=${properties.execMainStatus}`;
    case 2:
      return `code=killed, signal=${signalNames[properties.execMainStatus] ?? properties.execMainStatus}`;
    case 3:
      return `code=dumped, signal=${signalNames[properties.execMainStatus] ?? properties.execMainStatus}`;
    default:
      return undefined;
  }
}
