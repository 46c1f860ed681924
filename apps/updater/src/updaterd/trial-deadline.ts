import { loadBootRecord, readBootedSlot, type SlotName } from '@minicore/boot-record';

/** setTimeout's longest delay (about 24.8 days): a longer one fires at once, with only a warning. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface TrialInfo {
  /** The slot on trial (booted with its one try). */
  slot: SlotName;
  bootedAt: string;
  /** When the trial ends, ms since the epoch. */
  deadlineAt: number;
}

export interface TrialDeadlineOptions {
  slotsDir: string;
  /** How long after its boot a slot on trial may take to become healthy; 0: no deadline. */
  deadlineMs: number;
  /** Resolves once the booted slot is marked successful (HealthyMarker.marked). */
  healthy: Promise<unknown>;
  /** The trial failed: the slot was not marked successful by its deadline. */
  onExpired: (trial: TrialInfo) => void;
  now?: () => number;
}

/**
 * The part update_engine leaves to luck: a release that boots but never becomes healthy stays booted
 * until something reboots the machine. When this boot is a trial (the boot selector used the slot's
 * one try and the slot is not successful), the release gets `deadlineMs` from its boot to be marked
 * good; otherwise `onExpired` runs, whose reboot lets the boot selector fall back to the previous
 * slot (tries 0, not successful: not bootable). The clock starts at the boot, not at updaterd's
 * start, so a crash-looping updaterd does not extend the trial.
 */
export class TrialDeadline {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(private readonly options: TrialDeadlineOptions) {}

  /** Arms the deadline when this boot is a trial; returns what it armed (undefined: not on trial, or no deadline). */
  async start(): Promise<TrialInfo | undefined> {
    const { slotsDir, deadlineMs } = this.options;
    if (deadlineMs <= 0) return undefined;
    const booted = await readBootedSlot(slotsDir);
    if (!booted?.trial) return undefined;
    const { record } = await loadBootRecord(slotsDir);
    if (record[booted.slot].successful) return undefined;
    const now = (this.options.now ?? Date.now)();
    const bootedAtMs = Date.parse(booted.bootedAt);
    const deadlineAt = (Number.isNaN(bootedAtMs) ? now : bootedAtMs) + deadlineMs;
    const trial: TrialInfo = { slot: booted.slot, bootedAt: booted.bootedAt, deadlineAt };
    let healthy = false;
    void this.options.healthy.then(() => {
      healthy = true;
      this.stop();
    });
    if (this.#stopped) return trial;
    const clock = this.options.now ?? Date.now;
    // A deadline further off than one timer can wait is waited for in steps.
    const arm = (left: number) => {
      this.#timer = setTimeout(
        () => {
          if (healthy || this.#stopped) return;
          if (left > MAX_TIMER_MS) arm(deadlineAt - clock());
          else this.options.onExpired(trial);
        },
        Math.min(Math.max(0, left), MAX_TIMER_MS),
      );
    };
    arm(deadlineAt - now);
    return trial;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }
}
