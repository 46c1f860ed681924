import { createHash, type KeyObject } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { BundleCorrupt, BundleTruncated, FileHashMismatch, FileMissing, FileUnexpected, ReleaseError, SignatureInvalid, SignatureMissing } from './errors.js';
import { verifyBytes } from './keys.js';
import { FILES_PREFIX, MANIFEST_ENTRY, SIGNATURE_ENTRY, assertSafePath, parseManifest, parseSignatureDocument, type ManifestFile, type ReleaseManifest, type SignatureDocument } from './manifest.js';

/**
 * Bigger pieces than the streams' defaults (64 KiB reads, 16 KiB of inflated output): each piece
 * costs a trip through zlib, the tar parser and a file write, and at the defaults that overhead
 * was a third of the unpack time of a 200 MB bundle.
 */
const READ_CHUNK = 1024 * 1024;
const INFLATE_CHUNK = 256 * 1024;

export interface ReadBundleOptions {
  /**
   * The trusted public key. When given, the signature is checked as soon as the manifest and its
   * signature have been read, before a single file is written; without it the signature must
   * still be present, but only hashes are checked (the update server uses this to inspect uploads).
   */
  publicKey?: KeyObject;
  /** Unpack the files into this directory (created; files must not exist yet). */
  extractTo?: string;
  /** fsync every unpacked file and directory before reporting success (an install must survive power loss). */
  fsync?: boolean;
}

export interface BundleContents {
  manifest: ReleaseManifest;
  signature: SignatureDocument;
  /** True when the signature was checked against options.publicKey. */
  signatureVerified: boolean;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await openFile(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Turns zlib's and tar's failures into the two bundle errors callers tell apart. */
function classifyStreamError(error: unknown): ReleaseError {
  if (error instanceof ReleaseError) return error;
  const e = error as NodeJS.ErrnoException & { tarCode?: string };
  const message = e.message ?? String(error);
  if (e.code === 'Z_BUF_ERROR' || /unexpected end of file|Truncated input/i.test(message)) return BundleTruncated(message, error);
  return BundleCorrupt(message, error);
}

/**
 * Reads a release bundle in one pass: the manifest (first entry) and its signature (second), then
 * every file, hashing each as it streams by and optionally unpacking it. Rejects with a
 * ReleaseError whose code says why: truncated, corrupt, manifest, signature missing or invalid,
 * a file's hash, a missing or an unexpected file.
 */
export async function readBundle(source: string | Readable, options: ReadBundleOptions = {}): Promise<BundleContents> {
  const input = typeof source === 'string' ? createReadStream(source, { highWaterMark: READ_CHUNK }) : source;
  const parser = new Parser({ strict: true });
  let failure: ReleaseError | undefined;
  let entryIndex = 0;
  let manifestBytes: Buffer | undefined;
  let manifest: ReleaseManifest | undefined;
  let signature: SignatureDocument | undefined;
  let byPath = new Map<string, ManifestFile>();
  const seen = new Set<string>();
  const pending: Promise<void>[] = [];
  const madeDirs = new Set<string>();

  let signalFailure: () => void = () => undefined;
  const failed = new Promise<void>((resolve) => (signalFailure = resolve));
  /** Files being written; a failure closes them, since their entries will never end. */
  const open = new Set<WriteStream>();
  const fail = (error: unknown) => {
    failure ??= classifyStreamError(error);
    signalFailure();
    parser.emit('drain');
    for (const out of open) out.destroy();
  };

  const collect = (entry: ReadEntry, done: (bytes: Buffer) => void) => {
    const chunks: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    entry.on('end', () => {
      try {
        done(Buffer.concat(chunks));
      } catch (error) {
        fail(error);
      }
    });
  };

  const onFile = (entry: ReadEntry, relative: string) => {
    assertSafePath(relative);
    const expected = byPath.get(relative);
    if (!expected || seen.has(relative)) throw FileUnexpected(relative);
    seen.add(relative);
    const hash = createHash('sha256');
    let size = 0;
    const check = () => {
      if (size !== expected.size || hash.digest('hex') !== expected.sha256) throw FileHashMismatch(relative);
    };
    if (!options.extractTo) {
      entry.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        size += chunk.length;
      });
      entry.on('end', () => {
        try {
          check();
        } catch (error) {
          fail(error);
        }
      });
      return;
    }
    const target = path.join(options.extractTo, ...relative.split('/'));
    const dir = path.dirname(target);
    if (!madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      madeDirs.add(dir);
    }
    // flush: the stream fsyncs its descriptor before closing it, while the next files unpack.
    const out = createWriteStream(target, { flags: 'wx', mode: expected.mode & 0o777, flush: options.fsync === true });
    open.add(out);
    const written = new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.once('close', () => {
        open.delete(out);
        resolve();
      });
    }).then(check);
    // One listener feeds both the hash and the file. (A tar entry starts flowing, and may hand out
    // its first block, as soon as it has any 'data' listener: a separate pipe() attached after the
    // hash listener would miss that block, and the file would lose its first 512 bytes.)
    entry.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
      if (!out.write(chunk)) {
        entry.pause();
        out.once('drain', () => entry.resume());
      }
    });
    entry.on('end', () => out.end());
    written.catch(fail);
    pending.push(written);
  };

  parser.on('entry', (entry: ReadEntry) => {
    const index = entryIndex++;
    try {
      if (failure) {
        entry.resume();
        return;
      }
      if (index === 0) {
        if (entry.path !== MANIFEST_ENTRY || entry.type !== 'File') throw BundleCorrupt(`first entry is ${JSON.stringify(entry.path)}, expected ${MANIFEST_ENTRY}`);
        collect(entry, (bytes) => {
          manifestBytes = bytes;
          manifest = parseManifest(bytes);
          byPath = new Map(manifest.files.map((file) => [file.path, file]));
        });
        return;
      }
      if (index === 1) {
        if (entry.path !== SIGNATURE_ENTRY) throw SignatureMissing();
        collect(entry, (bytes) => {
          const document = parseSignatureDocument(bytes);
          if (!document) throw SignatureInvalid('the signature entry is not a signature document');
          if (options.publicKey && !verifyBytes(manifestBytes ?? Buffer.alloc(0), document, options.publicKey)) {
            throw SignatureInvalid(`signed by key ${document.keyId}, which is not the trusted key, or the manifest was altered`);
          }
          signature = document;
        });
        return;
      }
      if (!entry.path.startsWith(FILES_PREFIX)) throw BundleCorrupt(`unexpected entry ${JSON.stringify(entry.path)} outside ${FILES_PREFIX}`);
      if (entry.type === 'Directory') {
        assertSafePath(entry.path.slice(FILES_PREFIX.length).replace(/\/$/, ''));
        entry.resume();
        return;
      }
      if (entry.type !== 'File' && entry.type !== 'OldFile') throw BundleCorrupt(`entry ${JSON.stringify(entry.path)} is a ${entry.type}, only plain files are allowed`);
      onFile(entry, entry.path.slice(FILES_PREFIX.length));
    } catch (error) {
      fail(error);
      entry.resume();
    }
  });
  parser.on('error', fail);
  const parsed = new Promise<void>((resolve) => parser.once('end', () => resolve()));

  try {
    await pipeline(input, createGunzip({ chunkSize: INFLATE_CHUNK }), async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) {
        if (failure) throw failure;
        if (!parser.write(chunk)) await new Promise((resolve) => parser.once('drain', resolve));
      }
      if (failure) throw failure;
      parser.end();
      await Promise.race([parsed, failed]);
    });
    await Promise.allSettled(pending);
  } catch (error) {
    fail(error);
    await Promise.allSettled(pending);
    throw failure ?? classifyStreamError(error);
  }
  if (failure) throw failure;
  if (!manifest) throw entryIndex === 0 ? BundleTruncated('no entries') : BundleCorrupt('no manifest');
  if (!signature) throw SignatureMissing();
  const finalManifest: ReleaseManifest = manifest;
  for (const file of finalManifest.files) if (!seen.has(file.path)) throw FileMissing(file.path);
  // The files are synced; their directory entries too, once per directory.
  if (options.extractTo && options.fsync && madeDirs.size > 0) {
    const dirs = new Set([options.extractTo]);
    for (let dir of madeDirs) for (; dir.startsWith(`${options.extractTo}${path.sep}`) && !dirs.has(dir); dir = path.dirname(dir)) dirs.add(dir);
    for (const dir of dirs) await syncDirectory(dir);
  }
  return { manifest: finalManifest, signature, signatureVerified: options.publicKey !== undefined };
}
