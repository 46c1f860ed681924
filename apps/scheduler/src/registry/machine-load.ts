import os from 'node:os';

/**
 * How busy a machine says it is, published with its presence record (extra fields on fleet's
 * machine object: fleet's readers ignore fields they do not know). Read by `--placement load`.
 */
export interface MachineLoad {
  /** 1-minute load average divided by the CPU count: 1 means every CPU busy. */
  loadPerCpu: number;
  freeMemoryBytes: number;
}

/** Field names as they appear in the machine object, in fleet's Go-style casing. */
export interface MachineLoadFields {
  LoadAverage?: number[];
  CPUs?: number;
  FreeMemory?: number;
}

/** This host's load, in the machine object's fields. */
export function localLoadFields(): MachineLoadFields {
  return { LoadAverage: os.loadavg().map((value) => Math.round(value * 100) / 100), CPUs: os.cpus().length || 1, FreeMemory: os.freemem() };
}

export function loadFromFields(fields: MachineLoadFields): MachineLoad | undefined {
  const load1 = fields.LoadAverage?.[0];
  if (typeof load1 !== 'number' || !Number.isFinite(load1) || typeof fields.FreeMemory !== 'number') return undefined;
  const cpus = typeof fields.CPUs === 'number' && fields.CPUs > 0 ? fields.CPUs : 1;
  return { loadPerCpu: load1 / cpus, freeMemoryBytes: fields.FreeMemory };
}
