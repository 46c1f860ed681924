import { RESERVED_LABEL_PREFIX } from '../spec/index.js';

/**
 * The labels runnerd puts on every container it creates. It lists, supervises and touches only
 * containers carrying its machine's label, so that containers made by hand (or by another
 * machine's runnerd sharing the engine, as in the local cluster) are never touched.
 */
export const RunnerLabel = {
  managed: RESERVED_LABEL_PREFIX,
  machine: `${RESERVED_LABEL_PREFIX}.machine`,
  /** The restart policy, as `--restart` writes it: runnerd applies it, the engine's own stays `no`. */
  restart: `${RESERVED_LABEL_PREFIX}.restart`,
  /** `--announce` specs (`web:8080,admin:9090`): a runnerd started later announces them too. */
  announce: `${RESERVED_LABEL_PREFIX}.announce`,
} as const;

/** The engine label filter selecting this machine's containers. */
export function ownedBy(machineId: string): string[] {
  return [`${RunnerLabel.managed}=1`, `${RunnerLabel.machine}=${machineId}`];
}

export function isOwnedBy(labels: Record<string, string> | undefined, machineId: string): boolean {
  return labels?.[RunnerLabel.managed] === '1' && labels[RunnerLabel.machine] === machineId;
}

/** The labels a person set, without runnerd's own. */
export function userLabels(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => key !== RESERVED_LABEL_PREFIX && !key.startsWith(`${RESERVED_LABEL_PREFIX}.`)));
}
