import { createPublicKey, type KeyObject } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { SlotName } from '@minicore/boot-record';
import { downloadPayload } from './download.js';
import { installIntoSlot, stagingDirectory, streamingUnpack, updateFailureOf } from './install.js';

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

/**
 * Download, verify (size, sha256, signature, every file) and install; never throws, reports instead.
 * The payload is unpacked into the slot's staging folder while it downloads (streamingUnpack); the
 * order of what is reported, and of the checks that decide an error code, is that of a download
 * followed by an install: a wrong size or sha256 is 11 or 10 whatever the unpack found, and the
 * signature and file checks decide only after the payload matched.
 */
export async function performInstall(job: InstallJob, report: (message: InstallMessage) => void): Promise<void> {
  let resumed = false;
  try {
    const publicKey = createPublicKey(job.publicKeyPem);
    const streaming = await streamingUnpack({ staging: stagingDirectory(job.slotsDir, job.slot), publicKey });
    try {
      ({ resumed } = await downloadPayload({
        urls: job.urls,
        file: job.file,
        size: job.size,
        sha256: job.sha256,
        ...(job.maxBytesPerSecond ? { maxBytesPerSecond: job.maxBytesPerSecond } : {}),
        onProgress: (received) => report({ type: 'progress', received }),
        onVerifying: () => report({ type: 'verifying' }),
        sink: streaming.sink,
      }));
    } catch (error) {
      await streaming.abort();
      throw error;
    }
    report({ type: 'downloaded', resumed });
    const installed = await installIntoSlot({ slotsDir: job.slotsDir, bundle: job.file, publicKey, slot: job.slot, mark: job.mark, unpack: streaming.unpack });
    await rm(job.file, { force: true });
    report({ type: 'installed', slot: installed.slot, version: installed.manifest.version });
  } catch (error) {
    const failure = updateFailureOf(error);
    report({ type: 'failed', errorCode: failure.errorCode, message: failure.message, resumed: failure.resumed || resumed });
  }
}
