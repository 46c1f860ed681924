import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FileHashMismatch, FileMissing, FileUnexpected } from './errors.js';
import type { ManifestFile, ReleaseManifest } from './manifest.js';

export async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(createReadStream(file), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.length;
    }
  });
  return { sha256: hash.digest('hex'), size };
}

/** Every regular file under `dir`, as sorted forward-slash relative paths. */
export async function listFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (relative: string) => {
    for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else found.push(child);
    }
  };
  await walk('');
  return found.sort();
}

/**
 * Re-reads an unpacked release from disk and checks it against its manifest: every listed file
 * present with its size and sha256, and nothing else. Run after unpacking, before the slot is made
 * bootable, so that a disk that lost or changed bytes is caught here and not at boot.
 */
export async function verifyTree(dir: string, manifest: ReleaseManifest): Promise<void> {
  const listed = new Map<string, ManifestFile>(manifest.files.map((file) => [file.path, file]));
  for (const relative of await listFiles(dir)) if (!listed.has(relative)) throw FileUnexpected(relative);
  for (const file of manifest.files) {
    const absolute = path.join(dir, ...file.path.split('/'));
    const stat = await lstat(absolute).catch(() => undefined);
    if (!stat?.isFile()) throw FileMissing(file.path);
    const actual = await sha256File(absolute);
    if (actual.size !== file.size || actual.sha256 !== file.sha256) throw FileHashMismatch(file.path);
  }
}
