import { createPublicKey, type KeyObject } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { SlotName } from '@minicore/boot-record';
import { downloadPayload } from './download.js';
import { installIntoSlot, updateFailureOf } from './install.js';

/** Everything one update needs after the check: what to fetch, how to check it, where it goes. */
export interface InstallJob {
  urls: string[];
  /** The download file (kept across attempts so that a cut transfer resumes). */
  file: string;
  size: number;
  sha256: string;
  maxBytesPerSecond?: number;
  slotsDir: string;
  slot: SlotName;
  mark: 'trial' | 'good';
  /** The trusted key as SPKI PEM, so the job can cross a process boundary. */
  publicKeyPem: string;
}

/** What the job tells its runner, in order: (started,) progress..., downloaded, then installed or failed. */
export type InstallMessage =
  /** From a worker process: the priority it runs at (nice value, I/O scheduling class). */
  | { type: 'started'; pid: number; nice: number; ioClass: string }
  | { type: 'progress'; received: number }
  | { type: 'verifying' }
  | { type: 'downloaded'; resumed: boolean }
  | { type: 'installed'; slot: SlotName; version: string }
  | { type: 'failed'; errorCode: number; message: string; resumed: boolean };

export function keyToPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

/** Download, verify (size, sha256, signature, every file) and install; never throws, reports instead. */
export async function performInstall(job: InstallJob, report: (message: InstallMessage) => void): Promise<void> {
  let resumed = false;
  try {
    ({ resumed } = await downloadPayload({
      urls: job.urls,
      file: job.file,
      size: job.size,
      sha256: job.sha256,
      ...(job.maxBytesPerSecond ? { maxBytesPerSecond: job.maxBytesPerSecond } : {}),
      onProgress: (received) => report({ type: 'progress', received }),
      onVerifying: () => report({ type: 'verifying' }),
    }));
    report({ type: 'downloaded', resumed });
    const installed = await installIntoSlot({ slotsDir: job.slotsDir, bundle: job.file, publicKey: createPublicKey(job.publicKeyPem), slot: job.slot, mark: job.mark });
    await rm(job.file, { force: true });
    report({ type: 'installed', slot: installed.slot, version: installed.manifest.version });
  } catch (error) {
    const failure = updateFailureOf(error);
    report({ type: 'failed', errorCode: failure.errorCode, message: failure.message, resumed: failure.resumed || resumed });
  }
}
