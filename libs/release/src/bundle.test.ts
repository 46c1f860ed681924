import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { chmod, link, mkdir, mkdtemp, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { create } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBundle, describeFile, generateReleaseKeyPair, loadPrivateKey, loadPublicKey, readBundle, serializeManifest, signBytes, verifyTree, writeReleaseKeyPair, type ReleaseError, type ReleaseManifest } from './index.js';

let work: string;
let root: string;
let privateKey: KeyObject;
let publicKey: KeyObject;
let bundle: string;
let manifest: ReleaseManifest;

const tree: Record<string, string> = {
  'package.json': '{"name":"x"}\n',
  'apps/kv/dist/kvd/main.js': 'console.log("kvd");\n'.repeat(200),
  'apps/kv/bin/kvd.js': '#!/usr/bin/env node\nimport("../dist/kvd/main.js");\n',
  'libs/log/dist/index.js': 'export const x = 1;\n',
};

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as ReleaseError).code ?? String(error);
  }
}

/** Packs entries (name → bytes) in the given order into a gzipped tar, the way a forger would. */
async function pack(name: string, entries: [string, Buffer | string][]): Promise<string> {
  const dir = await mkdtemp(path.join(work, 'forge-'));
  for (const [entry, content] of entries) {
    await mkdir(path.dirname(path.join(dir, entry)), { recursive: true });
    await writeFile(path.join(dir, entry), content);
  }
  const file = path.join(work, name);
  await create({ gzip: true, file, cwd: dir, portable: true, noDirRecurse: true }, entries.map(([entry]) => entry));
  return file;
}

function signed(m: ReleaseManifest): [string, Buffer | string][] {
  const bytes = serializeManifest(m);
  return [
    ['manifest.json', bytes],
    ['manifest.sig', JSON.stringify(signBytes(bytes, privateKey))],
  ];
}

const files = (overrides: Record<string, string> = {}): [string, string][] => Object.entries({ ...tree, ...overrides }).map(([p, c]) => [`files/${p}`, c]);

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'release-test-'));
  root = path.join(work, 'tree');
  for (const [relative, content] of Object.entries(tree)) {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await writeFile(path.join(root, relative), content);
  }
  await chmod(path.join(root, 'apps/kv/bin/kvd.js'), 0o755);
  const keys = await writeReleaseKeyPair(path.join(work, 'release.key'));
  privateKey = await loadPrivateKey(keys.privateFile);
  publicKey = await loadPublicKey(keys.publicFile);
  bundle = path.join(work, 'good.mcr');
  const info = await createBundle({ root, files: Object.keys(tree), version: '1.2.3', privateKey, out: bundle, buildTime: new Date('2026-01-02T03:04:05Z') });
  manifest = info.manifest;
  expect(info.size).toBe((await stat(bundle)).size);
  expect(Buffer.from(info.sha256Base64, 'base64').toString('hex')).toBe(info.sha256);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('keys', () => {
  it('writes a private key readable only by its owner and a public key, and refuses to overwrite them', async () => {
    expect((await stat(path.join(work, 'release.key'))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(work, 'release.key.pub'), 'utf8')).toContain('BEGIN PUBLIC KEY');
    expect(await codeOf(writeReleaseKeyPair(path.join(work, 'release.key')))).toBe('MC_ERR_RELEASE_KEY');
  });

  it('rejects files that are not ed25519 keys', async () => {
    await writeFile(path.join(work, 'junk.pem'), 'not a key');
    expect(await codeOf(loadPublicKey(path.join(work, 'junk.pem')))).toBe('MC_ERR_RELEASE_KEY');
    expect(await codeOf(loadPrivateKey(path.join(work, 'absent.pem')))).toBe('MC_ERR_RELEASE_KEY');
  });
});

describe('a good bundle', () => {
  it('carries version, build time and size + sha256 + mode of every file, sorted', () => {
    expect(manifest.version).toBe('1.2.3');
    expect(manifest.buildTime).toBe('2026-01-02T03:04:05.000Z');
    expect(manifest.files.map((f) => f.path)).toEqual(Object.keys(tree).sort());
    expect(manifest.files.find((f) => f.path === 'apps/kv/bin/kvd.js')).toMatchObject({ mode: 0o755, size: tree['apps/kv/bin/kvd.js']!.length });
  });

  it('verifies with the trusted key, unpacks every file with its mode, and the unpacked tree verifies', async () => {
    const into = path.join(work, 'slot-good');
    const contents = await readBundle(bundle, { publicKey, extractTo: into, fsync: true });
    expect(contents.signatureVerified).toBe(true);
    expect(contents.manifest).toEqual(manifest);
    for (const [relative, content] of Object.entries(tree)) expect(await readFile(path.join(into, relative), 'utf8')).toBe(content);
    expect((await stat(path.join(into, 'apps/kv/bin/kvd.js'))).mode & 0o777).toBe(0o755);
    await verifyTree(into, manifest);
  });

  it('unpacks every byte of files big and small, and of hard-linked copies (as npm packages have)', async () => {
    // A regression: after a file bigger than the write buffer, the parser queues the next entry with
    // its first block already read; that block reached the hash but not the file.
    const many = path.join(work, 'many');
    const names: string[] = [];
    for (let i = 0; i < 40; i++) {
      const name = `dist/f${String(i).padStart(3, '0')}.js`;
      const size = i % 3 === 0 ? 17_000 + i * 13 : 1500 + i * 31;
      let text = '';
      for (let k = 0; text.length < size; k++) text += `export const v${k} = ${(k * 7919) % 1000};\n`;
      await mkdir(path.dirname(path.join(many, name)), { recursive: true });
      await writeFile(path.join(many, name), text.slice(0, size));
      names.push(name);
    }
    await link(path.join(many, names[5]!), path.join(many, 'dist/linked.js'));
    names.push('dist/linked.js');
    const out = path.join(work, 'many.mcr');
    const info = await createBundle({ root: many, files: names, version: '1.0.0', privateKey, out });
    const into = path.join(work, 'slot-many');
    await readBundle(out, { publicKey, extractTo: into });
    await verifyTree(into, info.manifest);
    expect(await readFile(path.join(into, 'dist/linked.js'))).toEqual(await readFile(path.join(many, names[5]!)));
  });

  it('packs files that have links outside the release (a tree copied with cp -al) instead of waiting for ever', async () => {
    // tar holds back a file with several links until another of them is packed; outside the
    // release none ever is, and createBundle never returned (the process exited 13).
    const linked = path.join(work, 'linked-tree');
    const elsewhere = path.join(work, 'linked-elsewhere');
    await mkdir(path.join(linked, 'dist'), { recursive: true });
    await mkdir(elsewhere, { recursive: true });
    const names: string[] = [];
    for (let i = 0; i < 30; i++) {
      const name = `dist/g${String(i).padStart(2, '0')}.js`;
      await writeFile(path.join(linked, name), `export const g = ${i};\n`.repeat(50 + i));
      await link(path.join(linked, name), path.join(elsewhere, `g${i}.js`));
      names.push(name);
      // node-gyp leaves such pairs (build/Release/x.node and build/Release/obj.target/x.node)
      if (i % 5 === 0) {
        await link(path.join(linked, name), path.join(linked, `dist/g${String(i).padStart(2, '0')}-copy.js`));
        names.push(`dist/g${String(i).padStart(2, '0')}-copy.js`);
      }
    }
    const out = path.join(work, 'linked.mcr');
    const packed = createBundle({ root: linked, files: names, version: '1.0.0', privateKey, out });
    const info = await Promise.race([packed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('createBundle did not finish in 20 s')), 20_000))]);
    const into = path.join(work, 'slot-linked');
    await readBundle(out, { publicKey, extractTo: into });
    await verifyTree(into, info.manifest);
    expect(await readFile(path.join(into, 'dist/g29.js'), 'utf8')).toBe('export const g = 29;\n'.repeat(79));
  }, 30_000);

  it('is reproducible: the same tree, version, time and key give the same manifest bytes', async () => {
    const again = path.join(work, 'again.mcr');
    const info = await createBundle({ root, files: Object.keys(tree).reverse(), version: '1.2.3', privateKey, out: again, buildTime: new Date('2026-01-02T03:04:05Z') });
    expect(serializeManifest(info.manifest)).toEqual(serializeManifest(manifest));
  });
});

describe('rejections, each with its own code', () => {
  it('another key: signature invalid, nothing unpacked', async () => {
    const other = createPublicKey(generateReleaseKeyPair().publicKey);
    const into = path.join(work, 'slot-otherkey');
    expect(await codeOf(readBundle(bundle, { publicKey: other, extractTo: into }))).toBe('MC_ERR_BUNDLE_SIGNATURE_INVALID');
    await expect(stat(into)).rejects.toThrow();
  });

  it('an altered manifest (a file hash swapped to match a forged file): signature invalid', async () => {
    const forged = { ...manifest, files: manifest.files.map((f) => (f.path === 'package.json' ? { ...f, sha256: 'a'.repeat(64) } : f)) };
    const bytes = serializeManifest(forged);
    const original = signed(manifest)[1]!;
    const file = await pack('forged-manifest.mcr', [['manifest.json', bytes], original, ...files()]);
    expect(await codeOf(readBundle(file, { publicKey }))).toBe('MC_ERR_BUNDLE_SIGNATURE_INVALID');
  });

  it('a changed file under a genuine manifest: file hash', async () => {
    const file = await pack('forged-file.mcr', [...signed(manifest), ...files({ 'libs/log/dist/index.js': 'export const x = 2;\n' })]);
    expect(await codeOf(readBundle(file, { publicKey }))).toBe('MC_ERR_BUNDLE_FILE_HASH');
  });

  it('a file left out: file missing; a file slipped in: unexpected file', async () => {
    const without = await pack('missing.mcr', [...signed(manifest), ...files().filter(([p]) => p !== 'files/package.json')]);
    expect(await codeOf(readBundle(without, { publicKey }))).toBe('MC_ERR_BUNDLE_FILE_MISSING');
    const extra = await pack('extra.mcr', [...signed(manifest), ...files({ 'apps/evil.js': 'x' })]);
    expect(await codeOf(readBundle(extra, { publicKey }))).toBe('MC_ERR_BUNDLE_FILE_UNEXPECTED');
  });

  it('no signature entry: signature missing, with or without a key', async () => {
    const file = await pack('unsigned.mcr', [['manifest.json', serializeManifest(manifest)], ...files()]);
    expect(await codeOf(readBundle(file, { publicKey }))).toBe('MC_ERR_BUNDLE_SIGNATURE_MISSING');
    expect(await codeOf(readBundle(file))).toBe('MC_ERR_BUNDLE_SIGNATURE_MISSING');
  });

  it('a manifest naming a path outside the release: unsafe path', async () => {
    const evil = { ...manifest, files: [...manifest.files, { path: '../etc/passwd', size: 1, sha256: 'a'.repeat(64), mode: 0o644 }] };
    const file = await pack('unsafe.mcr', [...signed(evil), ...files()]);
    expect(await codeOf(readBundle(file, { publicKey }))).toBe('MC_ERR_BUNDLE_UNSAFE_PATH');
  });

  it('a bundle cut short anywhere: truncated', async () => {
    const { size } = await describeFile(bundle);
    const whole = await readFile(bundle);
    for (const keep of [0, 10, Math.floor(size / 3), Math.floor(size / 2), size - 9]) {
      const file = path.join(work, `truncated-${keep}.mcr`);
      await writeFile(file, whole.subarray(0, keep));
      const into = path.join(work, `slot-truncated-${keep}`);
      expect(`${keep}: ${await codeOf(readBundle(file, { publicKey, extractTo: into }))}`).toBe(`${keep}: MC_ERR_BUNDLE_TRUNCATED`);
    }
    const file = path.join(work, 'truncated-copy.mcr');
    await writeFile(file, whole);
    await truncate(file, size - 1);
    expect(await codeOf(readBundle(file, { publicKey }))).toBe('MC_ERR_BUNDLE_TRUNCATED');
  });

  it('a damaged gzip trailer or something that is not a bundle at all: corrupt', async () => {
    const damaged = Buffer.from(await readFile(bundle));
    damaged[damaged.length - 6] = damaged[damaged.length - 6]! ^ 0xff;
    await writeFile(path.join(work, 'crc.mcr'), damaged);
    expect(await codeOf(readBundle(path.join(work, 'crc.mcr'), { publicKey }))).toBe('MC_ERR_BUNDLE_CORRUPT');
    await writeFile(path.join(work, 'text.mcr'), 'hello, this is not a bundle\n'.repeat(100));
    expect(await codeOf(readBundle(path.join(work, 'text.mcr'), { publicKey }))).toBe('MC_ERR_BUNDLE_CORRUPT');
  });

  it('damage in the middle of a big file while unpacking: rejected once, not left waiting for the rest of that file', async () => {
    const big = path.join(work, 'big');
    await mkdir(big, { recursive: true });
    await writeFile(path.join(big, 'noise.bin'), randomBytes(3 * 1024 * 1024));
    const out = path.join(work, 'big.mcr');
    await createBundle({ root: big, files: ['noise.bin'], version: '1.0.0', privateKey, out });
    const damaged = Buffer.from(await readFile(out));
    const at = Math.floor(damaged.length / 2);
    damaged[at] = damaged[at]! ^ 0x55;
    await writeFile(path.join(work, 'big-damaged.mcr'), damaged);
    const code = await codeOf(readBundle(path.join(work, 'big-damaged.mcr'), { publicKey, extractTo: path.join(work, 'slot-big'), fsync: true }));
    expect(['MC_ERR_BUNDLE_FILE_HASH', 'MC_ERR_BUNDLE_CORRUPT']).toContain(code);
  }, 30_000);

  it('a bundle whose first entry is not the manifest: corrupt', async () => {
    const file = await pack('order.mcr', [...files(), ...signed(manifest)]);
    expect(await codeOf(readBundle(file, { publicKey }))).toBe('MC_ERR_BUNDLE_CORRUPT');
  });

  it('refuses to pack symlinks or bad versions', async () => {
    await symlink('package.json', path.join(root, 'link.json'));
    expect(await codeOf(createBundle({ root, files: ['link.json'], version: '1.0.0', privateKey, out: path.join(work, 'l.mcr') }))).toBe('MC_ERR_BUNDLE_MANIFEST');
    expect(await codeOf(createBundle({ root, files: [], version: 'v1', privateKey, out: path.join(work, 'v.mcr') }))).toBe('MC_ERR_BUNDLE_MANIFEST');
    await rm(path.join(root, 'link.json'));
  });
});

describe('verifyTree', () => {
  it('catches a changed, a missing and an extra file on disk', async () => {
    const into = path.join(work, 'slot-tree');
    await readBundle(bundle, { publicKey, extractTo: into });
    await writeFile(path.join(into, 'extra.txt'), 'x');
    expect(await codeOf(verifyTree(into, manifest))).toBe('MC_ERR_BUNDLE_FILE_UNEXPECTED');
    await rm(path.join(into, 'extra.txt'));
    await writeFile(path.join(into, 'package.json'), '{"name":"y"}\n');
    expect(await codeOf(verifyTree(into, manifest))).toBe('MC_ERR_BUNDLE_FILE_HASH');
    await rm(path.join(into, 'package.json'));
    expect(await codeOf(verifyTree(into, manifest))).toBe('MC_ERR_BUNDLE_FILE_MISSING');
  });
});
