import type { KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { lstat, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { BootRecordError, fsyncPath, markGood, markUpdated, otherSlot, slotDirectory, updateBootRecord, writeFileAtomic, type SlotName } from '@minicore/boot-record';
import { ErrorCode } from '@minicore/omaha';
import { ReleaseError, listFiles, parseManifest, readBundle, serializeManifest, type ReleaseErrorCode, type ReleaseManifest } from '@minicore/release';
import { UpdateFailure, type PayloadSink } from './download.js';

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

/** Where a slot's next content is unpacked and checked before it replaces the slot. */
export function stagingDirectory(slotsDir: string, slot: SlotName): string {
  return `${slotDirectory(slotsDir, slot)}.staging`;
}

/** Unpacks into a staging folder; resolves with the verified manifest once every file is on disk and synced. */
export type Unpack = (options: { bundle: string; staging: string; publicKey: KeyObject }) => Promise<ReleaseManifest>;

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
  /** How the staging folder gets the release; unpackAndVerify (from the bundle file) by default. */
  unpack?: Unpack;
}

/**
 * Checks the unpacked tree against its manifest without reading the files again: exactly the
 * listed files, each a regular file of its listed size. Their contents were hashed on the way to
 * the disk (readBundle checks each file's sha256 as it writes it, and syncs it); reading them
 * back right away would only read the page cache, so it would not catch a disk losing bytes
 * either. This catches what could still differ: a file added, removed or cut by someone else.
 */
export async function checkUnpackedTree(dir: string, manifest: ReleaseManifest): Promise<void> {
  const listed = new Map(manifest.files.map((file) => [file.path, file]));
  for (const relative of await listFiles(dir)) {
    if (!listed.has(relative)) throw new ReleaseError('MC_ERR_BUNDLE_FILE_UNEXPECTED', `file ${relative} is not listed in the manifest`, relative);
  }
  await Promise.all(
    manifest.files.map(async (file) => {
      const info = await lstat(path.join(dir, ...file.path.split('/'))).catch(() => undefined);
      if (!info?.isFile()) throw new ReleaseError('MC_ERR_BUNDLE_FILE_MISSING', `file ${file.path} is listed in the manifest but missing`, file.path);
      if (info.size !== file.size) throw new ReleaseError('MC_ERR_BUNDLE_FILE_HASH', `file ${file.path} is ${info.size} bytes on disk, the manifest says ${file.size}`, file.path);
    }),
  );
}

/** From the bundle file: verifies the signature while unpacking into `staging` (every file hashed and synced). */
export const unpackAndVerify: Unpack = async (options) => {
  await rm(options.staging, { recursive: true, force: true });
  const { manifest } = await readBundle(options.bundle, { publicKey: options.publicKey, extractTo: options.staging, fsync: true });
  await checkUnpackedTree(options.staging, manifest);
  return manifest;
};

const UNPACK_PIECE = 256 * 1024;

/** An unpack that runs while the payload downloads; see streamingUnpack. */
export interface StreamingUnpack {
  /** Give this to downloadPayload. */
  sink: PayloadSink;
  /**
   * The Unpack for installIntoSlot, once the download is complete and its size and sha256 are
   * right. If the transfer had to start over (the sink was abandoned), it unpacks from the file.
   */
  unpack: Unpack;
  /** The download failed: stops the unpack and removes what it wrote. */
  abort(): Promise<void>;
}

/**
 * Unpacks into `staging` from the bytes of the payload as they arrive, so that the bundle is read
 * once: the download hashes it and hands it on, and gunzip, tar and the per-file hashes run
 * alongside the transfer. Nothing is trusted earlier than before: the signature is checked when
 * the manifest and its signature (the first two entries) have arrived, before any file is written,
 * every file is hashed against the signed manifest as it is written, and the result is used only
 * after the whole payload's size and sha256 matched the update server's (a payload that does not
 * is rejected with 10 or 11 and the staging folder removed, as before).
 */
export async function streamingUnpack(options: { staging: string; publicKey: KeyObject }): Promise<StreamingUnpack> {
  await rm(options.staging, { recursive: true, force: true });
  // A megabyte of buffer: the download runs ahead of the unpack by at most that much.
  const input = new PassThrough({ highWaterMark: 1024 * 1024 });
  input.on('error', () => undefined); // a write after the unpack stopped; the unpack's own error is the one reported
  let abandoned = false;
  let stopped = false;
  const unpacked = readBundle(input, { publicKey: options.publicKey, extractTo: options.staging, fsync: true }).then(async ({ manifest }) => {
    await checkUnpackedTree(options.staging, manifest);
    return manifest;
  });
  const settled = unpacked.then(
    () => undefined,
    () => {
      stopped = true;
    },
  );
  // The transfer arrives in pieces of 16-64 KiB; each piece costs a trip through zlib, the tar parser
  // and a file write, so they go on in pieces of a quarter megabyte.
  let pieces: Buffer[] = [];
  let gathered = 0;
  const pass = async () => {
    const piece = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, gathered);
    pieces = [];
    gathered = 0;
    if (!input.write(piece)) await Promise.race([once(input, 'drain'), settled]);
  };
  const sink: PayloadSink = {
    async write(chunk) {
      if (stopped) throw new Error('the unpack has stopped');
      pieces.push(chunk);
      gathered += chunk.length;
      if (gathered >= UNPACK_PIECE) await pass();
    },
    abandon() {
      abandoned = true;
      input.destroy();
    },
  };
  const stop = async () => {
    input.destroy();
    await settled;
    await rm(options.staging, { recursive: true, force: true });
  };
  return {
    sink,
    unpack: async (fallback) => {
      if (abandoned) {
        await stop();
        return unpackAndVerify(fallback);
      }
      if (gathered > 0) await pass();
      input.end();
      return unpacked;
    },
    abort: stop,
  };
}

/**
 * Installs a bundle into a slot: verify the signature and unpack into a staging folder (every file
 * hashed against the signed manifest and synced), only then replace the slot and set its record
 * (postinstall). Any failure before the swap leaves both slots and the record as they were.
 */
export async function installIntoSlot(options: InstallOptions): Promise<{ slot: SlotName; manifest: ReleaseManifest }> {
  const slot = options.slot;
  const target = slotDirectory(options.slotsDir, slot);
  const staging = stagingDirectory(options.slotsDir, slot);
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
    await fsyncPath(options.slotsDir);
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
