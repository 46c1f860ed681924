/**
 * The Docker labels runnerd puts on the containers it creates: the contract between runnerd, which
 * lists, supervises and touches only containers carrying its machine's label, and whoever else needs
 * to tell one machine's containers from another's on a shared engine (the local cluster launcher
 * stopping a "powered off" machine's containers).
 */

/** The label prefix runnerd keeps for itself; a person's `--label` may not use it. */
export const RESERVED_LABEL_PREFIX = 'io.minicore.runner';

export const RunnerLabel = {
  managed: RESERVED_LABEL_PREFIX,
  machine: `${RESERVED_LABEL_PREFIX}.machine`,
  /** The restart policy, as `--restart` writes it: runnerd applies it, the engine's own stays `no`. */
  restart: `${RESERVED_LABEL_PREFIX}.restart`,
  /** `--announce` specs (`web:8080,admin:9090`): a runnerd started later announces them too. */
  announce: `${RESERVED_LABEL_PREFIX}.announce`,
} as const;

/** Whether a label key is runnerd's own (the prefix itself or under it). */
export function isReservedLabel(key: string): boolean {
  return key === RESERVED_LABEL_PREFIX || key.startsWith(`${RESERVED_LABEL_PREFIX}.`);
}

/** The engine label filter selecting this machine's containers. */
export function ownedBy(machineId: string): string[] {
  return [`${RunnerLabel.managed}=1`, `${RunnerLabel.machine}=${machineId}`];
}

export function isOwnedBy(labels: Record<string, string> | undefined, machineId: string): boolean {
  return labels?.[RunnerLabel.managed] === '1' && labels[RunnerLabel.machine] === machineId;
}

/** The labels a person set, without runnerd's own. */
export function userLabels(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => !isReservedLabel(key)));
}
