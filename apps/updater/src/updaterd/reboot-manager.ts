import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@minicore/log';
import { UpdateStatus, type UpdateEngineStatus } from '@minicore/update-engine-dbus';
import type { KvSemaphore } from '../locksmith/kv-semaphore.js';
import { delayUntilWindow, describeWindow, type RebootWindow } from '../locksmith/reboot-window.js';
import { SemaphoreError } from '../locksmith/semaphore.js';
import { endedByShutdown, type RebootAction } from './reboot-action.js';

export const rebootStrategies = ['reboot', 'etcd-lock', 'best-effort', 'off'] as const;
export type RebootStrategy = (typeof rebootStrategies)[number];

/** Where the manager learns that a reboot is needed: updaterd's agent in-process, or update_engine's D-Bus interface. */
export interface StatusSource {
  getStatus(): Promise<UpdateEngineStatus> | UpdateEngineStatus;
  onStatusUpdate(listener: (status: UpdateEngineStatus) => void): (() => void) | Promise<() => void>;
}

export interface Backoff {
  firstMs: number;
  maxMs: number;
}

export interface RebootManagerOptions {
  strategy: RebootStrategy;
  machineId: string;
  source?: StatusSource | undefined;
  /** Undefined: nothing can reboot this machine; a needed reboot is logged as an error. */
  reboot: RebootAction | undefined;
  /** The kv semaphore, for etcd-lock (and best-effort when kv answers). */
  semaphore?: KvSemaphore | undefined;
  /** best-effort: take the lock when this says kv is up (locksmith asked whether etcd was running). */
  kvAvailable?: () => Promise<boolean>;
  window?: RebootWindow | undefined;
  /** Resolves true once this boot has been healthy long enough (the slot marked good); then our own hold is released. */
  healthy?: Promise<boolean> | undefined;
  /** Lock attempts: locksmithd's 10 s doubling to 5 min; a change of the semaphore retries at once. */
  lockBackoff?: Backoff;
  /** Release attempts after the boot: locksmithd's 5 s doubling to 5 min. */
  unlockBackoff?: Backoff;
  now?: () => Date;
  logger?: Logger | undefined;
}

export type RebootState = 'idle' | 'waiting-window' | 'waiting-lock' | 'rebooting' | 'rebooted' | 'failed';

/**
 * locksmithd inside updaterd: waits for UPDATE_STATUS_UPDATED_NEED_REBOOT, then for the reboot
 * window, then (etcd-lock) for a place in the kv semaphore, and reboots. The place is held across
 * the reboot; the next boot gives it back once the machine is healthy again, and no new reboot
 * starts before that release is done. Leaving UPDATED_NEED_REBOOT (ResetStatus) cancels a wait.
 */
export class RebootManager {
  state: RebootState = 'idle';
  /** Resolves when the release after the boot is done (or there was nothing to release). */
  readonly released: Promise<void>;
  readonly #stop = new AbortController();
  #unsubscribe: (() => void) | undefined;
  #attempt: AbortController | undefined;

  constructor(private readonly options: RebootManagerOptions) {
    this.released = this.#usesLock() && options.semaphore ? this.#releaseAfterHealthy(options.semaphore) : Promise.resolve();
  }

  #usesLock(): boolean {
    return this.options.strategy === 'etcd-lock' || this.options.strategy === 'best-effort';
  }

  async start(): Promise<void> {
    const { strategy, source, logger } = this.options;
    if (strategy === 'off' || !source) {
      logger?.info({ strategy }, 'reboot manager: not rebooting on updates');
      return;
    }
    if (!this.options.reboot) logger?.warn({ strategy }, 'reboot manager: no way to reboot this machine (systemd is not PID 1 and no --reboot-command): updates will wait for a manual reboot');
    if (strategy === 'etcd-lock' && !this.options.semaphore) throw new Error('--reboot-strategy etcd-lock needs --kv-endpoints');
    const unsubscribe = await source.onStatusUpdate((status) => this.#onStatus(status));
    this.#unsubscribe = unsubscribe;
    this.#onStatus(await source.getStatus());
    logger?.info({ strategy, window: this.options.window ? describeWindow(this.options.window) : 'any time' }, 'reboot manager ready');
  }

  stop(): void {
    this.#stop.abort();
    this.#attempt?.abort();
    this.#unsubscribe?.();
  }

  #onStatus(status: UpdateEngineStatus): void {
    if (status.currentOperation === UpdateStatus.UpdatedNeedReboot) {
      if (this.#attempt || this.state === 'rebooting' || this.state === 'rebooted') return;
      const attempt = new AbortController();
      this.#attempt = attempt;
      void this.#rebootWhenAllowed(status, AbortSignal.any([attempt.signal, this.#stop.signal])).finally(() => {
        if (this.#attempt === attempt) this.#attempt = undefined;
      });
    } else if (this.#attempt && this.state !== 'rebooting') {
      this.options.logger?.info({ status: status.currentOperation }, 'reboot no longer needed; stopped waiting');
      this.#attempt.abort();
      this.#attempt = undefined;
      this.state = 'idle';
    }
  }

  async #rebootWhenAllowed(status: UpdateEngineStatus, signal: AbortSignal): Promise<void> {
    const { logger, window } = this.options;
    try {
      if (window) {
        const delay = delayUntilWindow(window, (this.options.now ?? (() => new Date()))());
        if (delay > 0) {
          this.state = 'waiting-window';
          logger?.info({ window: describeWindow(window), delayMs: delay }, 'waiting for the reboot window');
          await sleep(delay, undefined, { signal });
        }
      }
      let holding = false;
      if (await this.#lockWanted()) {
        await this.released;
        this.state = 'waiting-lock';
        await this.#lock(this.options.semaphore!, signal);
        holding = true;
      }
      if (!this.options.reboot) {
        this.state = 'failed';
        logger?.error({ newVersion: status.newVersion }, 'reboot needed, but there is no way to reboot this machine: reboot it by hand');
        return;
      }
      this.state = 'rebooting';
      logger?.info({ newVersion: status.newVersion, holdsLock: holding }, 'rebooting into the new release');
      try {
        await this.options.reboot({ machineId: this.options.machineId, newVersion: status.newVersion });
        this.state = 'rebooted';
        logger?.info({ newVersion: status.newVersion }, 'reboot requested');
      } catch (error) {
        if (endedByShutdown(error)) {
          // The machine is going down: the lock stays held across the reboot.
          this.state = 'rebooted';
          logger?.info({ newVersion: status.newVersion }, 'reboot under way (the shutdown ended the reboot command)');
          return;
        }
        this.state = 'failed';
        logger?.error({ err: error }, 'reboot failed');
        if (holding) await this.#releaseOnce(this.options.semaphore!).catch(() => undefined);
      }
    } catch (error) {
      if (signal.aborted) return;
      this.state = 'failed';
      logger?.error({ err: error }, 'reboot manager failed');
    }
  }

  /**
   * A release on trial did not become healthy in time: reboot so that the boot selector falls back
   * to the previous slot. No reboot window (the machine is not serving as it should), and under the
   * lock strategies the reboot semaphore is needed as for any reboot; usually this machine still
   * holds it from the reboot into the trial (held across it), and the boot on the old slot gives it
   * back once healthy. When kv does not answer at all the rollback does not wait for it.
   * `toVersion` is what the fallback should boot (for the reboot command).
   */
  async rollBack(toVersion: string): Promise<void> {
    const { logger, strategy } = this.options;
    if (this.state === 'rebooting' || this.state === 'rebooted') return;
    if (strategy === 'off' || !this.options.reboot) {
      this.state = 'failed';
      logger?.error({ strategy, toVersion }, 'the release on trial is not healthy by its deadline, and this updaterd may not reboot the machine: reboot it by hand to fall back to the previous slot');
      return;
    }
    // An update reboot waiting for its turn is replaced by this one.
    this.#attempt?.abort();
    this.#attempt = undefined;
    const signal = this.#stop.signal;
    try {
      let holding = false;
      const semaphore = this.#usesLock() ? this.options.semaphore : undefined;
      // The broken release may be the one whose kvd does not start: waiting for kv would keep the
      // machine on it for good, so without kv the rollback goes ahead (as best-effort would).
      if (semaphore && !((await this.options.kvAvailable?.().catch(() => false)) ?? true)) {
        logger?.warn('kv does not answer: rolling back without the reboot lock');
      } else if (semaphore) {
        holding = await this.#holds(semaphore);
        if (!holding) {
          this.state = 'waiting-lock';
          await this.#lock(semaphore, signal);
          holding = true;
        }
      }
      this.state = 'rebooting';
      logger?.warn({ toVersion, holdsLock: holding }, 'rolling back: rebooting out of the release on trial, the boot falls back to the previous slot');
      await this.options.reboot({ machineId: this.options.machineId, newVersion: toVersion });
      this.state = 'rebooted';
      logger?.info({ toVersion }, 'reboot requested');
    } catch (error) {
      if (signal.aborted) return;
      if (endedByShutdown(error)) {
        this.state = 'rebooted';
        logger?.info({ toVersion }, 'reboot under way (the shutdown ended the reboot command)');
        return;
      }
      this.state = 'failed';
      logger?.error({ err: error }, 'rollback reboot failed');
    }
  }

  /** Whether this machine is already a holder (locksmith's lock would say "semaphore is at 0" at max, not "holder exists"). */
  async #holds(semaphore: KvSemaphore): Promise<boolean> {
    try {
      return ((await semaphore.get()).semaphore.holders ?? []).includes(this.options.machineId);
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'cannot read the reboot semaphore');
      return false;
    }
  }

  async #lockWanted(): Promise<boolean> {
    if (this.options.strategy === 'etcd-lock') return true;
    if (this.options.strategy !== 'best-effort' || !this.options.semaphore) return false;
    const up = (await this.options.kvAvailable?.().catch(() => false)) ?? true;
    if (!up) this.options.logger?.info('best-effort: kv does not answer, rebooting without the lock');
    return up;
  }

  async #lock(semaphore: KvSemaphore, signal: AbortSignal): Promise<void> {
    const { firstMs, maxMs } = this.options.lockBackoff ?? { firstMs: 10_000, maxMs: 300_000 };
    let delay = firstMs;
    for (;;) {
      signal.throwIfAborted();
      let index: number | undefined;
      try {
        const held = await semaphore.lock(this.options.machineId);
        this.options.logger?.info({ semaphore: held }, 'reboot lock taken');
        return;
      } catch (error) {
        if (error instanceof SemaphoreError && error.code === 'MC_ERR_HOLDER_EXISTS') return;
        if (error instanceof SemaphoreError && error.code === 'MC_ERR_SEMAPHORE_FULL') {
          const state = await semaphore.get().catch(() => undefined);
          index = state?.index;
          this.options.logger?.info({ holders: state?.semaphore.holders, retryMs: delay }, 'waiting for the reboot lock');
        } else {
          this.options.logger?.warn({ err: error, retryMs: delay }, 'cannot take the reboot lock; retrying');
        }
      }
      // Whichever comes first: the backoff, or a change of the semaphore (someone released).
      const wait = new AbortController();
      const both = AbortSignal.any([wait.signal, signal]);
      await Promise.race([sleep(delay, undefined, { signal: both }).catch(() => undefined), index === undefined ? new Promise(() => undefined) : semaphore.waitForChange(index, both)]);
      wait.abort();
      delay = Math.min(delay * 2, maxMs);
    }
  }

  /** Our own hold, if any; "holder does not exist" means there is nothing to give back. */
  async #releaseOnce(semaphore: KvSemaphore): Promise<boolean> {
    try {
      await semaphore.unlock(this.options.machineId);
      return true;
    } catch (error) {
      if (error instanceof SemaphoreError && error.code === 'MC_ERR_HOLDER_MISSING') return false;
      throw error;
    }
  }

  async #releaseAfterHealthy(semaphore: KvSemaphore): Promise<void> {
    const healthy = await (this.options.healthy ?? Promise.resolve(true));
    if (!healthy) return;
    const { firstMs, maxMs } = this.options.unlockBackoff ?? { firstMs: 5_000, maxMs: 300_000 };
    let delay = firstMs;
    while (!this.#stop.signal.aborted) {
      try {
        if (await this.#releaseOnce(semaphore)) this.options.logger?.info({ machineId: this.options.machineId }, 'healthy after the reboot: reboot lock released');
        return;
      } catch (error) {
        this.options.logger?.warn({ err: error, retryMs: delay }, 'cannot release the reboot lock; retrying');
        await sleep(delay, undefined, { signal: this.#stop.signal }).catch(() => undefined);
        delay = Math.min(delay * 2, maxMs);
      }
    }
  }
}
