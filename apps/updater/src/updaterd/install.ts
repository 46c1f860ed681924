import type { KeyObject } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { BootRecordError, markUpdated, otherSlot, slotDirectory, updateBootRecord, writeFileAtomic, type SlotName } from '@minicore/boot-record';
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

/**
 * Installs a downloaded bundle into the passive slot: verify the signature and unpack into a
 * staging folder, re-verify every file from disk, only then replace the passive slot and set it
 * to tries=1, successful=0, top priority (postinstall). Any failure leaves both slots as they were.
 */
export async function installIntoPassiveSlot(options: { slotsDir: string; bundle: string; publicKey: KeyObject; booted: SlotName }): Promise<{ slot: SlotName; manifest: ReleaseManifest }> {
  const passive = otherSlot(options.booted);
  const target = slotDirectory(options.slotsDir, passive);
  const staging = `${target}.staging`;
  await rm(staging, { recursive: true, force: true });
  let manifest: ReleaseManifest;
  try {
    ({ manifest } = await readBundle(options.bundle, { publicKey: options.publicKey, extractTo: staging, fsync: true }));
    await verifyTree(staging, manifest);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (error instanceof ReleaseError) throw new UpdateFailure(codeFor[error.code], error.message);
    throw new UpdateFailure(ErrorCode.DownloadWriteError, `cannot unpack into ${staging}: ${(error as Error).message}`);
  }
  try {
    // The passive slot is about to change: first make sure nothing boots it half-written.
    await updateBootRecord(options.slotsDir, (record) => ({ ...record, [passive]: { priority: 0, tries: 0, successful: false } }));
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
    await syncDirectory(options.slotsDir);
    await writeFileAtomic(slotManifestFile(options.slotsDir, passive), serializeManifest(manifest).toString());
    await updateBootRecord(options.slotsDir, (record) => markUpdated(record, passive));
  } catch (error) {
    if (error instanceof BootRecordError) throw new UpdateFailure(ErrorCode.SetBootableFlagError, error.message);
    throw new UpdateFailure(ErrorCode.DownloadWriteError, (error as Error).message);
  }
  return { slot: passive, manifest };
}
