import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, mkdtemp, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { create } from 'tar';
import { ManifestInvalid } from './errors.js';
import { signBytes } from './keys.js';
import { FILES_PREFIX, MANIFEST_ENTRY, MANIFEST_FORMAT, SIGNATURE_ENTRY, assertSafePath, isReleaseVersion, serializeManifest, type ManifestFile, type ReleaseManifest } from './manifest.js';
import { readBundle } from './read-bundle.js';
import { sha256File } from './tree.js';

export interface CreateBundleOptions {
  /** The directory the file paths are relative to (the working tree). */
  root: string;
  /** Relative forward-slash paths of regular files under root. */
  files: readonly string[];
  version: string;
  privateKey: KeyObject;
  /** Where the bundle goes; written to a temporary name and renamed when complete. */
  out: string;
  buildTime?: Date;
}

export interface BundleInfo {
  manifest: ReleaseManifest;
  /** Bytes of the bundle file. */
  size: number;
  /** sha256 of the whole bundle, hex and base64 (Omaha's postinstall sha256 is base64). */
  sha256: string;
  sha256Base64: string;
}

export async function describeFile(file: string): Promise<{ size: number; sha256: string; sha256Base64: string }> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) hash.update(chunk);
  });
  const digest = hash.digest();
  return { size: (await stat(file)).size, sha256: digest.toString('hex'), sha256Base64: digest.toString('base64') };
}

/**
 * tar writes a file whose inode it has packed before as a hard link; a bundle holds plain files
 * only (npm packages do contain hard-linked copies), so every file goes in with its bytes.
 */
class NoHardLinks extends Map<`${number}:${number}`, string> {
  override get(): undefined {
    return undefined;
  }
}

/**
 * Packs files into a signed bundle: a gzipped tar whose first entry is the manifest (version,
 * build time, size + sha256 + mode of every file), second the ed25519 signature of the manifest's
 * exact bytes, then the files under `files/`. The finished bundle is read back and verified
 * before it is renamed into place, so a file that changed while packing cannot ship.
 */
export async function createBundle(options: CreateBundleOptions): Promise<BundleInfo> {
  if (!isReleaseVersion(options.version)) throw ManifestInvalid(`version ${JSON.stringify(options.version)} is not X.Y.Z`);
  const files: ManifestFile[] = [];
  const stats = new Map<string, Stats>();
  for (const relative of [...new Set(options.files)].sort()) {
    assertSafePath(relative);
    const absolute = path.join(options.root, ...relative.split('/'));
    const info = await lstat(absolute);
    if (!info.isFile()) throw ManifestInvalid(`${relative} is not a regular file`);
    const { sha256, size } = await sha256File(absolute);
    files.push({ path: relative, size, sha256, mode: info.mode & 0o777 });
    stats.set(relative, info);
  }
  const buildTime = options.buildTime ?? new Date();
  const manifest: ReleaseManifest = { format: MANIFEST_FORMAT, version: options.version, buildTime: buildTime.toISOString(), files };
  const manifestBytes = serializeManifest(manifest);
  const signature = signBytes(manifestBytes, options.privateKey);

  const staging = await mkdtemp(path.join(tmpdir(), 'minicore-release-'));
  const partial = `${options.out}.partial-${process.pid}`;
  try {
    await writeFile(path.join(staging, MANIFEST_ENTRY), manifestBytes);
    await writeFile(path.join(staging, SIGNATURE_ENTRY), `${JSON.stringify(signature)}\n`);
    // The files are packed through a link to the root so that they land under files/ without a copy.
    await symlink(path.resolve(options.root), path.join(staging, FILES_PREFIX.slice(0, -1)));
    // tar holds back a file with several links until another of its links has been packed, which
    // never happens when those are outside the release (a tree copied with cp -al): it then waits
    // for ever with nothing left to do (the process exits 13, the bundle half written). Its stat
    // with one link makes it a plain file.
    const statCache = new Map<string, Stats>();
    for (const [relative, info] of stats) statCache.set(path.resolve(staging, `${FILES_PREFIX}${relative}`), Object.assign(info, { nlink: 1 }));
    await create(
      { gzip: true, file: partial, cwd: staging, portable: true, noDirRecurse: true, mtime: buildTime, linkCache: new NoHardLinks(), statCache },
      [MANIFEST_ENTRY, SIGNATURE_ENTRY, ...files.map((file) => `${FILES_PREFIX}${file.path}`)],
    );
    await readBundle(partial, { publicKey: createPublicKey(options.privateKey) });
    await rename(partial, options.out);
  } finally {
    await rm(partial, { force: true });
    await rm(staging, { recursive: true, force: true });
  }
  return { manifest, ...(await describeFile(options.out)) };
}
