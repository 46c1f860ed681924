import type { UnitOption } from '@minicore/unit-file';

/** systemd's three state words for a unit, as fleet reports them. */
export interface UnitSystemdState {
  load: string;
  active: string;
  sub: string;
}

export interface BackendUnit {
  name: string;
  hash: string;
  /** Start was asked for (and not stop since). */
  launched: boolean;
  state: UnitSystemdState;
}

/** What `schedctl status` shows for one unit. */
export interface BackendUnitStatus extends BackendUnit {
  mainPid: number | undefined;
  restarts: number;
  /** ISO time the state last changed. */
  since: string;
  /** How the last run ended, e.g. `code=exited, status=1`. */
  lastExit: string | undefined;
  command: string[];
}

/**
 * How an agent makes units real on its machine: systemd over D-Bus, or supervised processes
 * (`exec`). The agent decides what should be loaded and launched; the backend does it, keeps what
 * it does across schedulerd restarts, and says when a unit's state changes.
 */
export interface UnitBackend {
  readonly kind: string;
  /** Picks up units loaded before a restart (and their running processes). */
  init(): Promise<void>;
  list(): BackendUnit[];
  load(name: string, options: readonly UnitOption[], hash: string): Promise<void>;
  /** Stops the unit if it runs, then forgets it. */
  unload(name: string): Promise<void>;
  start(name: string): Promise<void>;
  stop(name: string): Promise<void>;
  status(name: string): BackendUnitStatus | undefined;
  /** The last `lines` lines of the unit's log. */
  journal(name: string, lines: number): Promise<string[]>;
  /** The last `lines` lines, then each new line as it is logged, until `signal` aborts (`journal -f`); absent if the backend cannot follow. */
  followJournal?(name: string, lines: number, signal: AbortSignal): AsyncIterable<string>;
  onChange(listener: (name: string) => void): void;
  /** Stops supervising (timers, watchers) but leaves units running. */
  close(): Promise<void>;
}
