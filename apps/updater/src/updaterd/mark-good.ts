import { loadBootRecord, markGood, otherSlot, readBootedSlot, updateBootRecord, type BootRecord, type SlotName } from '@minicore/boot-record';

export type HealthCheck = () => Promise<boolean>;

/** Every URL answers 2xx within 5 s; no URLs means the process being up is the health. */
export function urlsHealthy(urls: readonly string[]): HealthCheck {
  return async () => {
    const answers = await Promise.all(
      urls.map((url) =>
        fetch(url, { signal: AbortSignal.timeout(5000) }).then(
          async (response) => {
            await response.body?.cancel();
            return response.ok;
          },
          () => false,
        ),
      ),
    );
    return answers.every(Boolean);
  };
}

/**
 * The other slot holds an update waiting for its trial boot (tries left, above the booted slot) while
 * the booted slot is already good: marking it good again would take the top priority back from the
 * update (updaterd restarted after an install, before the reboot).
 */
export function updatePending(record: BootRecord, booted: SlotName): boolean {
  const other = otherSlot(booted);
  return record[booted].successful && record[other].tries > 0 && record[other].priority > record[booted].priority;
}

/** `coreos-setgoodroot`: the booted slot becomes successful, tries 0, top priority. */
export async function markBootedSlotGood(slotsDir: string): Promise<{ slot: SlotName; record: BootRecord } | undefined> {
  const booted = await readBootedSlot(slotsDir);
  if (!booted) return undefined;
  const record = await updateBootRecord(slotsDir, (current) => markGood(current, booted.slot));
  return { slot: booted.slot, record };
}

export interface HealthyMarkerOptions {
  slotsDir: string;
  /** How long the machine must be healthy without a break (update_engine: 45 s). */
  healthyAfterMs: number;
  check: HealthCheck;
  /** Between health checks. */
  intervalMs?: number;
  onMarked?: (slot: SlotName, record: BootRecord) => void;
  onError?: (error: unknown) => void;
}

/**
 * Marks the booted slot good once the machine has been healthy for `healthyAfterMs` in a row; an
 * unhealthy check restarts the clock. Until then a slot on trial has no tries left, so a crash or
 * reboot falls back to the other slot.
 */
export class HealthyMarker {
  #timer: NodeJS.Timeout | undefined;
  #healthySince: number | undefined;
  #stopped = false;
  readonly marked: Promise<SlotName | undefined>;
  #resolve: (slot: SlotName | undefined) => void = () => undefined;

  constructor(private readonly options: HealthyMarkerOptions) {
    this.marked = new Promise((resolve) => (this.#resolve = resolve));
  }

  start(): void {
    void this.#tick();
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      const healthy = await this.options.check();
      const now = Date.now();
      if (!healthy) this.#healthySince = undefined;
      else this.#healthySince ??= now;
      if (this.#healthySince !== undefined && now - this.#healthySince >= this.options.healthyAfterMs) {
        const booted = await readBootedSlot(this.options.slotsDir);
        if (booted && updatePending((await loadBootRecord(this.options.slotsDir)).record, booted.slot)) {
          this.#stopped = true;
          this.#resolve(booted.slot);
          return;
        }
        const result = await markBootedSlotGood(this.options.slotsDir);
        if (result) this.options.onMarked?.(result.slot, result.record);
        this.#stopped = true;
        this.#resolve(result?.slot);
        return;
      }
    } catch (error) {
      this.options.onError?.(error);
    }
    if (this.#stopped) return;
    const untilDue = this.#healthySince === undefined ? this.options.healthyAfterMs : this.options.healthyAfterMs - (Date.now() - this.#healthySince);
    this.#timer = setTimeout(() => void this.#tick(), Math.max(10, Math.min(this.options.intervalMs ?? 5000, untilDue)));
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#resolve(undefined);
  }
}
