import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPublicKey, readBundle, writeReleaseKeyPair } from '@minicore/release';
import { collectReleaseFiles } from './collect.js';
import { runRelease } from './release.js';

let work: string;
let root: string;

async function put(relative: string, content = 'x'): Promise<void> {
  await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
  await writeFile(path.join(root, relative), content);
}

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runRelease(argv, {}, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'release-tool-'));
  root = path.join(work, 'tree');
  await put('package.json', '{}');
  await put('package-lock.json', '{}');
  await put('apps/kv/package.json', JSON.stringify({ dependencies: { '@minicore/log': '*', 'dep-a': '1', '@types/x': '1' }, optionalDependencies: { 'other-platform': '1' } }));
  await put('apps/kv/bin/kvd.js', 'import("../dist/kvd/main.js")');
  await put('apps/kv/dist/kvd/main.js', 'console.log(1)');
  await put('apps/kv/dist/kvd/main.d.ts', 'export {}');
  await put('apps/kv/dist/kvd/main.js.map', '{}');
  await put('apps/kv/dist/tsconfig.app.tsbuildinfo', '{}');
  await put('apps/kv/src/kvd/main.ts', 'source is not shipped');
  await put('apps/kv/dbus/io.minicore.Kv.conf', '<busconfig/>');
  await put('apps/kv/node_modules/.vite/cache.json', 'not shipped');
  await put('libs/log/package.json', JSON.stringify({ dependencies: { 'dep-b': '1' } }));
  await put('libs/log/dist/index.js', 'export {}');
  await put('libs/log/src/index.ts', 'source is not shipped');
  await put('libs/raft/package.json', '{}');
  await put('libs/raft/dist/index.js', 'not needed by any app');
  await put('tools/bench/package.json', '{}');
  await put('README.md', 'not shipped');
  await mkdir(path.join(root, 'node_modules/@minicore'), { recursive: true });
  await symlink('../../libs/log', path.join(root, 'node_modules/@minicore/log'));
  await put('node_modules/dep-a/package.json', JSON.stringify({ dependencies: { 'dep-c': '1' } }));
  await put('node_modules/dep-a/index.js', 'a');
  await put('node_modules/dep-a/index.d.ts', 'types are not shipped');
  await put('node_modules/dep-a/node_modules/dep-c/package.json', '{}');
  await put('node_modules/dep-a/node_modules/dep-c/index.js', 'c');
  await put('node_modules/dep-a/node_modules/.bin/tool', 'not shipped');
  await put('node_modules/dep-b/package.json', '{}');
  await put('node_modules/dep-b/lib/b.js', 'b');
  await put('node_modules/unused/package.json', '{}');
  await put('node_modules/@types/x/package.json', '{}');
  await writeReleaseKeyPair(path.join(work, 'key'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('npm run release', () => {
  it('collects each app with the libs and npm packages it loads at run time, nothing else', async () => {
    expect(await collectReleaseFiles(root)).toEqual({
      files: [
        'apps/kv/bin/kvd.js',
        'apps/kv/dbus/io.minicore.Kv.conf',
        'apps/kv/dist/kvd/main.js',
        'apps/kv/package.json',
        'node_modules/@minicore/log/dist/index.js',
        'node_modules/@minicore/log/package.json',
        'node_modules/dep-a/index.js',
        'node_modules/dep-a/node_modules/dep-c/index.js',
        'node_modules/dep-a/node_modules/dep-c/package.json',
        'node_modules/dep-a/package.json',
        'node_modules/dep-b/lib/b.js',
        'node_modules/dep-b/package.json',
        'package-lock.json',
        'package.json',
      ],
      builtProjects: ['apps/kv'],
      unbuiltProjects: [],
      packages: ['dep-a@node_modules/dep-a', 'dep-b@node_modules/dep-b', 'dep-c@node_modules/dep-a/node_modules/dep-c'],
    });
  });

  it('refuses a tree where a needed package is not installed', async () => {
    const broken = path.join(work, 'broken');
    await mkdir(path.join(broken, 'apps/x/dist'), { recursive: true });
    await writeFile(path.join(broken, 'apps/x/package.json'), JSON.stringify({ dependencies: { missing: '1' } }));
    await expect(collectReleaseFiles(broken)).rejects.toThrow('apps/x needs missing, which is not installed');
  });

  it('writes a bundle that verifies with the public key', async () => {
    const out = path.join(work, 'minicore-1.0.0.mcr');
    const result = await run(['--version', '1.0.0', '--key', path.join(work, 'key'), '--out', out, '--root', root]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ version: '1.0.0', files: 14, unbuilt: [], packages: 3, boot: null, testBrokenDaemon: null });
    const contents = await readBundle(out, { publicKey: await loadPublicKey(path.join(work, 'key.pub')) });
    expect(contents.manifest.files.map((f) => f.path)).toContain('apps/kv/dist/kvd/main.js');
  });

  it('--test-broken-daemon (tests only): the daemon’s launcher in the bundle exits 1 with a message; the working tree and every other file stay as they are', async () => {
    const out = path.join(work, 'minicore-1.0.1-broken.mcr');
    const result = await run(['--version', '1.0.1', '--key', path.join(work, 'key'), '--out', out, '--root', root, '--test-broken-daemon', 'kvd']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('WARNING: kvd in release 1.0.1 is broken on purpose');
    expect(JSON.parse(result.stdout)).toMatchObject({ version: '1.0.1', files: 14, testBrokenDaemon: 'kvd' });
    const unpacked = path.join(work, 'unpacked-broken');
    const contents = await readBundle(out, { publicKey: await loadPublicKey(path.join(work, 'key.pub')), extractTo: unpacked });
    const launcher = path.join(unpacked, 'apps/kv/bin/kvd.js');
    expect(contents.manifest.files.find((f) => f.path === 'apps/kv/bin/kvd.js')?.mode).toBe(0o755);
    const started = spawnSync(process.execPath, [launcher], { encoding: 'utf8' });
    expect(started.status).toBe(1);
    expect(started.stderr).toBe('kvd: release 1.0.1 was built broken on purpose (npm run release -- --test-broken-daemon kvd, for rollback tests only): not starting\n');
    expect(await readFile(path.join(unpacked, 'apps/kv/dist/kvd/main.js'), 'utf8')).toBe('console.log(1)');
    expect(await readFile(path.join(unpacked, 'node_modules/@minicore/log/dist/index.js'), 'utf8')).toBe('export {}');
    expect(await readFile(path.join(root, 'apps/kv/bin/kvd.js'), 'utf8')).toBe('import("../dist/kvd/main.js")');
    expect(await run(['--version', '1.0.1', '--key', path.join(work, 'key'), '--out', out, '--root', root, '--test-broken-daemon', 'updaterd'])).toMatchObject({ code: 2, stderr: expect.stringContaining('expected one of kvd, runnerd, schedulerd, update-server') as string });
    expect(await run(['--version', '1.0.1', '--key', path.join(work, 'key'), '--out', out, '--root', root, '--test-broken-daemon', 'runnerd'])).toMatchObject({ code: 1, stderr: expect.stringContaining('apps/runner/bin/runnerd.js is not in the release') as string });
  });

  it('explains bad arguments (exit 2) and failures (exit 1)', async () => {
    expect(await run(['--key', 'k', '--out', 'o'])).toMatchObject({ code: 2, stderr: expect.stringContaining('missing --version') as string });
    expect(await run(['--version', 'one', '--key', 'k', '--out', 'o'])).toMatchObject({ code: 2, stderr: expect.stringContaining('a version such as 1.2.3') as string });
    expect(await run(['--version', '1.0.0', '--key', path.join(work, 'absent'), '--out', path.join(work, 'o'), '--root', root])).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot read private key') as string });
    expect(await run(['--version', '1.0.0', '--key', path.join(work, 'key'), '--out', path.join(work, 'o'), '--root', path.join(work, 'empty')])).toMatchObject({ code: 1, stderr: expect.stringContaining('nothing is built') as string });
  });
});
