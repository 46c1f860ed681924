import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
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
  await put('apps/kv/package.json', '{}');
  await put('apps/kv/bin/kvd.js', 'import("../dist/kvd/main.js")');
  await put('apps/kv/dist/kvd/main.js', 'console.log(1)');
  await put('apps/kv/dist/tsconfig.app.tsbuildinfo', '{}');
  await put('apps/kv/src/kvd/main.ts', 'source is not shipped');
  await put('apps/kv/node_modules/x/index.js', 'not shipped');
  await put('libs/log/package.json', '{}');
  await put('libs/log/dist/index.js', 'export {}');
  await put('libs/raft/package.json', '{}');
  await put('tools/bench/package.json', '{}');
  await put('README.md', 'not shipped');
  await writeReleaseKeyPair(path.join(work, 'key'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('npm run release', () => {
  it('collects built code, launchers and package files only', async () => {
    expect(await collectReleaseFiles(root)).toEqual({
      files: ['apps/kv/bin/kvd.js', 'apps/kv/dist/kvd/main.js', 'apps/kv/package.json', 'libs/log/dist/index.js', 'libs/log/package.json', 'libs/raft/package.json', 'package-lock.json', 'package.json'],
      builtProjects: ['apps/kv', 'libs/log'],
      unbuiltProjects: ['libs/raft'],
    });
  });

  it('writes a bundle that verifies with the public key', async () => {
    const out = path.join(work, 'minicore-1.0.0.mcr');
    const result = await run(['--version', '1.0.0', '--key', path.join(work, 'key'), '--out', out, '--root', root]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ version: '1.0.0', files: 8, unbuilt: ['libs/raft'] });
    const contents = await readBundle(out, { publicKey: await loadPublicKey(path.join(work, 'key.pub')) });
    expect(contents.manifest.files.map((f) => f.path)).toContain('apps/kv/dist/kvd/main.js');
  });

  it('explains bad arguments (exit 2) and failures (exit 1)', async () => {
    expect(await run(['--key', 'k', '--out', 'o'])).toMatchObject({ code: 2, stderr: expect.stringContaining('missing --version') as string });
    expect(await run(['--version', 'one', '--key', 'k', '--out', 'o'])).toMatchObject({ code: 2, stderr: expect.stringContaining('a version such as 1.2.3') as string });
    expect(await run(['--version', '1.0.0', '--key', path.join(work, 'absent'), '--out', path.join(work, 'o'), '--root', root])).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot read private key') as string });
    expect(await run(['--version', '1.0.0', '--key', path.join(work, 'key'), '--out', path.join(work, 'o'), '--root', path.join(work, 'empty')])).toMatchObject({ code: 1, stderr: expect.stringContaining('nothing is built') as string });
  });
});
