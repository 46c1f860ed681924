import type { KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { otherSlot, readBootedSlot, writeFileAtomic, type BootedSlot, type SlotName } from '@minicore/boot-record';
import type { Logger } from '@minicore/log';
import type { UpdateEngineStatus } from '@minicore/update-engine-dbus';
import { ErrorCode, EventResult, EventType, MINICORE_APP_ID, UpdateCheckError, UpdateStatus, withFlags, type ClientIdentity, type UpdateStatusName } from '@minicore/omaha';
import { UpdateFailure } from './download.js';
import { readSlotManifest } from './install.js';
import { keyToPem, performInstall, type InstallJob, type InstallMessage } from './install-job.js';
import { runInstallWorker } from './low-priority.js';
import { OmahaClient } from './omaha-client.js';

export interface AgentOptions {
  slotsDir: string;
  /** The Omaha URL, e.g. http://127.0.0.1:4005/v1/update/. */
  server: string;
  track: string;
  machineId: string;
  bootId: string;
  trustedKey: KeyObject;
  /** Used when the booted slot has no manifest (a machine not installed from a bundle). */
  fallbackVersion: string;
  appId?: string;
  logger?: Logger;
  /**
   * Run download, verification and unpacking in a worker process started with `prefix` (e.g.
   * `nice -n 19 ionice -c 3`), so an update yields to the machine's workloads; in-process without.
   */
  worker?: { script: string; prefix: string[] };
  /** --max-download-rate, bytes per second. */
  maxBytesPerSecond?: number;
}

/**
 * update_engine's prefs that matter here: previous-version (and whether the file ever existed), plus
 * what update_engine keeps in /var/run (cleared by a reboot): that this boot installed an update.
 */
interface Prefs {
  previousVersion: string;
  /** The boot that installed an update into the other slot (see bootKey). */
  updatedInBoot?: string;
  /** The version it installed. */
  updatedVersion?: string;
  /** update_engine's autoupdate_completed marker: set by the install, removed by ResetStatus. */
  awaitingReboot?: boolean;
}

/**
 * Flatcar's rollback test: the machine runs the version it ran when it installed its last update,
 * and it has rebooted since (the update's slot used its one try without becoming successful, and the
 * boot fell back). Within the boot that installed the update it is no rollback: the reboot is pending.
 */
export function isRollback(prefs: Prefs | undefined, runningVersion: string, boot: string): boolean {
  if (!prefs || prefs.previousVersion === '' || prefs.previousVersion !== runningVersion) return false;
  return prefs.updatedInBoot !== boot;
}

/**
 * Which boot this is, as the boot selector recorded it: its boot id and time. The kernel's boot id
 * alone is not enough: a system container (the demo cluster's machines) restarts under the same kernel.
 */
function bootKey(booted: BootedSlot | undefined, fallbackBootId: string): string {
  return booted ? `${booted.bootId} ${booted.bootedAt}` : fallbackBootId;
}

export type CheckResult = 'noupdate' | 'updated' | 'failed' | 'pinged' | 'busy';

export type StatusListener = (status: UpdateEngineStatus) => void;

/** Progress is broadcast when it moved by 1 % or 10 s passed (update_engine's rule). */
const PROGRESS_STEP = 0.01;
const PROGRESS_INTERVAL_MS = 10_000;

/**
 * One machine's update_engine: check, download, verify, install into the passive slot, report each
 * step with update_engine's events (13/1, 14/1, 3/1; 3/0 with the code on failure) and keep the
 * status vocabulary D-Bus will publish.
 */
export class UpdateAgent {
  status: UpdateStatusName = UpdateStatus.Idle;
  newVersion = '0.0.0';
  newSize = 0;
  lastCheckedTime = 0;
  /** 0..1 of the payload downloaded. */
  progress = 0;
  /** The code of the last failure as reported (flags included); 0 after a success. */
  lastErrorCode = 0;
  readonly #listeners = new Set<StatusListener>();
  #checking = false;
  #progressSent = { value: 0, at: 0 };
  readonly #omaha: OmahaClient;
  readonly #prefsFile: string;
  readonly #downloads: string;

  constructor(readonly options: AgentOptions) {
    this.#omaha = new OmahaClient(options.server);
    this.#prefsFile = path.join(options.slotsDir, 'updaterd-prefs.json');
    this.#downloads = path.join(options.slotsDir, 'downloads');
  }

  async #readPrefs(): Promise<Prefs | undefined> {
    try {
      return JSON.parse(await readFile(this.#prefsFile, 'utf8')) as Prefs;
    } catch {
      return undefined;
    }
  }

  async #writePrefs(prefs: Prefs): Promise<void> {
    await writeFileAtomic(this.#prefsFile, `${JSON.stringify(prefs)}\n`);
  }

  /**
   * At start-up: when this boot already installed an update (updaterd restarted before the reboot),
   * back to UPDATE_STATUS_UPDATED_NEED_REBOOT, as update_engine does from its /var/run marker, so
   * the reboot still happens and no second install starts. Returns whether it did.
   */
  async restore(): Promise<boolean> {
    const prefs = await this.#readPrefs();
    if (!prefs?.awaitingReboot || prefs.updatedInBoot !== (await this.identity()).boot) return false;
    this.newVersion = prefs.updatedVersion ?? '0.0.0';
    this.progress = 1;
    this.#set(UpdateStatus.UpdatedNeedReboot);
    this.options.logger?.info({ version: this.newVersion }, 'an update installed earlier in this boot waits for the reboot');
    return true;
  }

  /** What this machine says in its requests, the slot it booted and which boot this is. */
  async identity(): Promise<{ identity: ClientIdentity; booted: SlotName; boot: string }> {
    const record = await readBootedSlot(this.options.slotsDir);
    const booted = record?.slot ?? 'A';
    const manifest = await readSlotManifest(this.options.slotsDir, booted);
    return {
      booted,
      boot: bootKey(record, this.options.bootId),
      identity: {
        appid: this.options.appId ?? MINICORE_APP_ID,
        version: manifest?.version ?? this.options.fallbackVersion,
        track: this.options.track,
        bootid: `{${this.options.bootId.replace(/^\{|\}$/g, '')}}`,
        machineid: this.options.machineId,
        board: 'minicore',
        oem: 'minicore',
      },
    };
  }

  /** The status as D-Bus publishes it (GetStatus / StatusUpdate). */
  snapshot(): UpdateEngineStatus {
    return { lastCheckedTime: this.lastCheckedTime, progress: this.progress, currentOperation: this.status, newVersion: this.newVersion, newSize: this.newSize };
  }

  /** Called on every state change and on download progress; returns the unsubscribe. */
  onStatus(listener: StatusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #broadcast(): void {
    const snapshot = this.snapshot();
    for (const listener of this.#listeners) {
      try {
        listener(snapshot);
      } catch (error) {
        this.options.logger?.warn({ err: error }, 'a status listener failed');
      }
    }
  }

  #set(status: UpdateStatusName): void {
    this.status = status;
    this.options.logger?.debug({ status }, 'update status');
    this.#broadcast();
  }

  #setProgress(received: number): void {
    this.progress = this.newSize > 0 ? Math.min(1, received / this.newSize) : 0;
    const now = Date.now();
    if (this.progress - this.#progressSent.value >= PROGRESS_STEP || now - this.#progressSent.at >= PROGRESS_INTERVAL_MS || this.progress === 1) {
      if (this.progress === this.#progressSent.value) return;
      this.#progressSent = { value: this.progress, at: now };
      this.#broadcast();
    }
  }

  /**
   * update_engine's ResetStatus: from UPDATED_NEED_REBOOT back to IDLE (the new slot stays
   * prioritized, as update_engine leaves the partition priorities), a no-op from IDLE, refused
   * otherwise. Returns false when refused.
   */
  resetStatus(): boolean {
    if (this.status === UpdateStatus.Idle) return true;
    if (this.status !== UpdateStatus.UpdatedNeedReboot) return false;
    this.progress = 0;
    this.newVersion = '0.0.0';
    this.newSize = 0;
    this.#set(UpdateStatus.Idle);
    // update_engine deletes its autoupdate_completed marker: a restart of updaterd stays idle.
    void this.#readPrefs()
      .then((prefs) => (prefs?.awaitingReboot ? this.#writePrefs({ ...prefs, awaitingReboot: false }) : undefined))
      .catch((error: unknown) => this.options.logger?.warn({ err: error }, 'could not update the prefs after ResetStatus'));
    return true;
  }

  /**
   * One scheduler tick (or an AttemptUpdate): a ping while waiting for the reboot, an update check
   * when idle; 'busy' while another check runs, so a D-Bus call never overlaps the scheduler.
   */
  async checkOnce(interactive = false): Promise<CheckResult> {
    if (this.#checking) return 'busy';
    this.#checking = true;
    try {
      return await this.#checkOnce(interactive);
    } finally {
      this.#checking = false;
    }
  }

  async #checkOnce(interactive: boolean): Promise<CheckResult> {
    const { identity, booted, boot } = await this.identity();
    if (this.status === UpdateStatus.UpdatedNeedReboot) {
      await this.#omaha.ping(identity);
      return 'pinged';
    }
    if (this.status !== UpdateStatus.Idle) return 'pinged';
    this.progress = 0;
    this.#progressSent = { value: 0, at: Date.now() };
    this.#set(UpdateStatus.CheckingForUpdate);
    const prefs = await this.#readPrefs();
    // In the boot that installed an update (ResetStatus, then a check) the update has not run yet:
    // nothing to report, and the old version stays for the check after the reboot.
    const installedThisBoot = prefs?.updatedInBoot === boot;
    const rolledBack = isRollback(prefs, identity.version, boot);
    let outcome;
    try {
      outcome = await this.#omaha.check(identity, installedThisBoot ? '' : (prefs?.previousVersion ?? '0.0.0.0'), interactive, rolledBack);
      // Only the first check after an update carries the old version (or the rollback).
      if (!installedThisBoot) await this.#writePrefs({ previousVersion: '' });
    } catch (error) {
      const code = error instanceof UpdateCheckError ? error.errorCode : ErrorCode.OmahaRequestError;
      return this.#fail(identity, new UpdateFailure(code, (error as Error).message));
    }
    this.lastCheckedTime = Math.floor(Date.now() / 1000);
    if (rolledBack) this.options.logger?.warn({ version: identity.version, failedVersion: prefs?.updatedVersion, errorCode: ErrorCode.RollbackError }, 'rolled back: the update never became healthy and the boot fell back to this release; reported RollbackError (44)');
    if (outcome.kind === 'noupdate') {
      this.newVersion = '0.0.0';
      this.newSize = 0;
      this.#set(UpdateStatus.Idle);
      return 'noupdate';
    }
    this.newVersion = outcome.version;
    this.newSize = outcome.size;
    this.#set(UpdateStatus.UpdateAvailable);
    this.options.logger?.info({ version: outcome.version, size: outcome.size }, 'update available');
    let resumed = false;
    try {
      await this.#omaha.event(identity, EventType.UpdateDownloadStarted, EventResult.Success);
      this.#set(UpdateStatus.Downloading);
      await mkdir(this.#downloads, { recursive: true });
      const job: InstallJob = {
        urls: outcome.payloadUrls,
        file: path.join(this.#downloads, `${outcome.version}-${outcome.sha256.replace(/[^A-Za-z0-9]/g, '').slice(0, 16)}.bundle`),
        size: outcome.size,
        sha256: outcome.sha256,
        ...(this.options.maxBytesPerSecond ? { maxBytesPerSecond: this.options.maxBytesPerSecond } : {}),
        slotsDir: this.options.slotsDir,
        slot: otherSlot(booted),
        mark: 'trial',
        publicKeyPem: keyToPem(this.options.trustedKey),
      };
      // 14/1 goes out while the install goes on; it must have gone before 3/1.
      let downloadedEvent: Promise<unknown> = Promise.resolve();
      const onMessage = (message: InstallMessage) => {
        if (message.type === 'started') this.options.logger?.info({ pid: message.pid, nice: message.nice, ioClass: message.ioClass }, 'install worker started');
        else if (message.type === 'progress') this.#setProgress(message.received);
        else if (message.type === 'verifying') this.#set(UpdateStatus.Verifying);
        else if (message.type === 'downloaded') {
          resumed = message.resumed;
          downloadedEvent = this.#omaha.event(identity, EventType.UpdateDownloadFinished, EventResult.Success).then(() => this.#set(UpdateStatus.Finalizing));
        }
      };
      const worker = this.options.worker;
      let final: InstallMessage | undefined;
      if (worker) final = await runInstallWorker({ script: worker.script, prefix: worker.prefix, job, onMessage });
      else await performInstall(job, (message) => (message.type === 'installed' || message.type === 'failed' ? (final = message) : onMessage(message)));
      await downloadedEvent;
      if (final?.type !== 'installed') {
        const failed = final?.type === 'failed' ? final : { errorCode: ErrorCode.Error, message: 'the install ended without a result', resumed };
        throw new UpdateFailure(failed.errorCode, failed.message, failed.resumed);
      }
      await this.#writePrefs({ previousVersion: identity.version, updatedInBoot: boot, updatedVersion: final.version, awaitingReboot: true });
      await this.#omaha.event(identity, EventType.UpdateComplete, EventResult.Success);
      this.lastErrorCode = 0;
      this.#set(UpdateStatus.UpdatedNeedReboot);
      this.options.logger?.info({ version: final.version, slot: final.slot }, 'update installed; reboot to use it');
      return 'updated';
    } catch (error) {
      const failure = error instanceof UpdateFailure ? error : new UpdateFailure(ErrorCode.Error, (error as Error).message);
      return this.#fail(identity, failure.resumed || resumed ? new UpdateFailure(failure.errorCode, failure.message, true) : failure);
    }
  }

  async #fail(identity: ClientIdentity, failure: UpdateFailure): Promise<CheckResult> {
    this.#set(UpdateStatus.ReportingErrorEvent);
    const code = failure.resumed ? withFlags(failure.errorCode, ['Resumed']) : failure.errorCode;
    this.lastErrorCode = code;
    this.options.logger?.warn({ errorCode: code, err: failure }, 'update failed');
    await this.#omaha.event(identity, EventType.UpdateComplete, EventResult.Error, code);
    this.#set(UpdateStatus.Idle);
    return 'failed';
  }
}
