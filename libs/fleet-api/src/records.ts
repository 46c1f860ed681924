/** The JSON values fleet keeps under its keys (see keys.ts), with Go's field names. */

/** `unit/<hash>` */
export interface UnitBlobRecord {
  Raw: string;
}

/** `job/<unit>/object`: the hash as a JSON array of its 20 bytes, as fleet writes it. */
export interface JobObjectRecord {
  Name: string;
  UnitHash: number[];
}

export interface MachineRecord {
  ID: string;
  PublicIP: string;
  Metadata: Record<string, string> | null;
  Capabilities: null;
  Version: string;
}

/** `states/<unit>/<machine>` */
export interface UnitStateRecord {
  loadState: string;
  activeState: string;
  subState: string;
  machineState: MachineRecord;
  unitHash: string;
}

/** `lease/engine-leader` */
export interface EngineLeaseRecord {
  MachineID: string;
  Version: number;
}

export const engineVersion = 1;

export function hashToBytes(hex: string): number[] {
  return [...Buffer.from(hex, 'hex')];
}

export function bytesToHash(bytes: readonly number[]): string {
  return Buffer.from(bytes).toString('hex');
}

/** JSON.parse that answers undefined for a value someone else wrote badly. */
export function parseRecord<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
