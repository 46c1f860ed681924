import type { KeyObject } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { BootRecordError, markGood, markUpdated, otherSlot, slotDirectory, updateBootRecord, writeFileAtomic, type SlotName } from '@minicore/boot-record';
import { ErrorCode } from '@minicore/omaha';
import { ReleaseError, parseManifest, readBundle, serializeManifest, verifyTree, type ReleaseErrorCode, type ReleaseManifest } from '@minicore/release';
import { UpdateFailure } from './download.js';

/** update_engine's codes for what can go wrong with a Minicore bundle (research notes §3.5). */
const codeFor: Record<ReleaseErrorCode, number> = {
  MC_ERR_BUNDLE_TRUNCATED: ErrorCode.DownloadPayloadVerificationError,
  MC_ERR_BUNDLE_CORRUPT: ErrorCode.DownloadPayloadVerificationError,
  MC_ERR_BUNDLE_MANIFEST: ErrorCode.DownloadManifestParseError,
  MC_ERR_BUNDLE_SIGNATURE_MISSING: ErrorCode.SignedDeltaPayloadExpectedError,
  MC_ERR_BUNDLE_SIGNATURE_INVALID: ErrorCode.DownloadPayloadPubKeyVerificationError,
  MC_ERR_BUNDLE_FILE_HASH: ErrorCode.NewRootfsVerificationError,
  MC_ERR_BUNDLE_FILE_MISSING: ErrorCode.NewRootfsVerificationError,
  MC_ERR_BUNDLE_FILE_UNEXPECTED: ErrorCode.NewRootfsVerificationError,
  MC_ERR_BUNDLE_UNSAFE_PATH: ErrorCode.DownloadPayloadVerificationError,
  MC_ERR_RELEASE_KEY: ErrorCode.DownloadPayloadPubKeyVerificationError,
};

export function slotManifestFile(slotsDir: string, slot: SlotName): string {
  return path.join(slotsDir, `${slot}.manifest.json`);
}

export async function readSlotManifest(slotsDir: string, slot: SlotName): Promise<ReleaseManifest | undefined> {
  try {
    return parseManifest(await readFile(slotManifestFile(slotsDir, slot)));
  } catch {
    return undefined;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface InstallOptions {
  slotsDir: string;
  bundle: string;
  publicKey: KeyObject;
  slot: SlotName;
  /**
   * What the record says afterwards: 'trial' (an update: tries=1, successful=0, top priority, so
   * one boot tries it and a failure falls back) or 'good' (a machine's first install, or an
   * operator's: successful, top priority).
   */
  mark: 'trial' | 'good';
  /** Runs the unpack (the costly part) in a child process; see unpackInChild. */
  unpack?: (options: { bundle: string; staging: string; publicKey: KeyObject }) => Promise<ReleaseManifest>;
}

/** Verifies the signature while unpacking into `staging`, then re-verifies every file from disk. */
export async function unpackAndVerify(options: { bundle: string; staging: string; publicKey: KeyObject }): Promise<ReleaseManifest> {
  const { manifest } = await readBundle(options.bundle, { publicKey: options.publicKey, extractTo: options.staging, fsync: true });
  await verifyTree(options.staging, manifest);
  return manifest;
}

/**
 * Installs a bundle into a slot: verify the signature and unpack into a staging folder, re-verify
 * every file from disk, only then replace the slot and set its record (postinstall). Any failure
 * before the swap leaves both slots and the record as they were.
 */
export async function installIntoSlot(options: InstallOptions): Promise<{ slot: SlotName; manifest: ReleaseManifest }> {
  const slot = options.slot;
  const target = slotDirectory(options.slotsDir, slot);
  const staging = `${target}.staging`;
  await rm(staging, { recursive: true, force: true });
  let manifest: ReleaseManifest;
  try {
    manifest = await (options.unpack ?? unpackAndVerify)({ bundle: options.bundle, staging, publicKey: options.publicKey });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (error instanceof UpdateFailure) throw error;
    if (error instanceof ReleaseError) throw new UpdateFailure(codeFor[error.code], error.message);
    throw new UpdateFailure(ErrorCode.DownloadWriteError, `cannot unpack into ${staging}: ${(error as Error).message}`);
  }
  try {
    // The slot is about to change: first make sure nothing boots it half-written.
    await updateBootRecord(options.slotsDir, (record) => ({ ...record, [slot]: { priority: 0, tries: 0, successful: false } }));
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
    await syncDirectory(options.slotsDir);
    await writeFileAtomic(slotManifestFile(options.slotsDir, slot), serializeManifest(manifest).toString());
    await updateBootRecord(options.slotsDir, (record) => (options.mark === 'trial' ? markUpdated(record, slot) : markGood(record, slot)));
  } catch (error) {
    if (error instanceof BootRecordError) throw new UpdateFailure(ErrorCode.SetBootableFlagError, error.message);
    throw new UpdateFailure(ErrorCode.DownloadWriteError, (error as Error).message);
  }
  return { slot, manifest };
}

/** An update: into the slot not booted, on trial. */
export async function installIntoPassiveSlot(options: { slotsDir: string; bundle: string; publicKey: KeyObject; booted: SlotName; unpack?: InstallOptions['unpack'] }): Promise<{ slot: SlotName; manifest: ReleaseManifest }> {
  return installIntoSlot({ slotsDir: options.slotsDir, bundle: options.bundle, publicKey: options.publicKey, slot: otherSlot(options.booted), mark: 'trial', ...(options.unpack ? { unpack: options.unpack } : {}) });
}

/** The error code a release failure maps to (for a child process reporting back). */
export function updateFailureOf(error: unknown): UpdateFailure {
  if (error instanceof UpdateFailure) return error;
  if (error instanceof ReleaseError) return new UpdateFailure(codeFor[error.code], error.message);
  return new UpdateFailure(ErrorCode.DownloadWriteError, (error as Error).message);
}
