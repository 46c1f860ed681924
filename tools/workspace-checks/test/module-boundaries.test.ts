import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const workspaceRoot = path.resolve(import.meta.dirname, '../../..');

/**
 * The boundary rule of DESIGN.md, checked the way it runs for real: Nx computes a project graph
 * of a small workspace laid out like ours (two apps, one lib, tagged as ours are), and ESLint runs
 * @nx/enforce-module-boundaries with the depConstraints of our own eslint.config.mjs.
 */
let fixture: string;

async function writeProject(dir: string, name: string, tag: string, source: string): Promise<void> {
  await mkdir(path.join(fixture, dir, 'src'), { recursive: true });
  await writeFile(path.join(fixture, dir, 'package.json'), JSON.stringify({ name, version: '0.0.0', type: 'module', exports: { '.': './src/index.ts' }, nx: { tags: [tag] } }));
  await writeFile(path.join(fixture, dir, 'src/index.ts'), source);
}

async function lint(file: string): Promise<string> {
  try {
    await run('npx', ['eslint', '--no-warn-ignored', file], { cwd: fixture, env: { ...process.env, NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: 'false' } });
    return '';
  } catch (error) {
    return (error as { stdout: string }).stdout;
  }
}

beforeAll(async () => {
  fixture = await mkdtemp(path.join(tmpdir(), 'boundaries-'));
  await symlink(path.join(workspaceRoot, 'node_modules'), path.join(fixture, 'node_modules'));
  await writeFile(path.join(fixture, 'package.json'), JSON.stringify({ name: 'fixture', private: true, type: 'module', workspaces: ['apps/*', 'libs/*'] }));
  await writeFile(path.join(fixture, 'nx.json'), JSON.stringify({ neverConnectToCloud: true, analytics: false }));
  await writeFile(
    path.join(fixture, 'eslint.config.mjs'),
    [
      `import nx from '@nx/eslint-plugin';`,
      `import tseslint from 'typescript-eslint';`,
      `import { depConstraints } from ${JSON.stringify(path.join(workspaceRoot, 'eslint.config.mjs'))};`,
      `export default [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { '@nx': nx },`,
      `  rules: { '@nx/enforce-module-boundaries': ['error', { depConstraints, enforceBuildableLibDependency: false }] } }];`,
    ].join('\n'),
  );
  await writeProject('apps/alpha', '@fx/alpha', 'type:app', `import { beta } from '@fx/beta';\nimport { shared } from '@fx/shared';\nexport const alpha = beta + shared;\n`);
  await writeProject('apps/beta', '@fx/beta', 'type:app', `export const beta = 1;\n`);
  await writeProject('apps/gamma', '@fx/gamma', 'type:app', `import { shared } from '@fx/shared';\nexport const gamma = shared;\n`);
  await writeProject('libs/shared', '@fx/shared', 'type:lib', `export const shared = 2;\n`);
  await writeProject('libs/leaky', '@fx/leaky', 'type:lib', `import { beta } from '@fx/beta';\nexport const leaky = beta;\n`);
  // Nx computes and caches the project graph that the lint rule reads.
  await run('npx', ['nx', 'show', 'projects'], { cwd: fixture, env: { ...process.env, NX_DAEMON: 'false', NX_ISOLATE_PLUGINS: 'false' } });
}, 120_000);

afterAll(async () => {
  await rm(fixture, { recursive: true, force: true });
});

describe('module boundaries (lint)', () => {
  it('fails an app that imports another app', async () => {
    const output = await lint('apps/alpha/src/index.ts');
    expect(output).toContain('@nx/enforce-module-boundaries');
    expect(output).toMatch(/A project tagged with "type:app" can only depend on libs tagged with "type:lib"/);
  }, 60_000);

  it('fails a lib that imports an app', async () => {
    const output = await lint('libs/leaky/src/index.ts');
    expect(output).toMatch(/A project tagged with "type:lib" can only depend on libs tagged with "type:lib"/);
  }, 60_000);

  it('passes an app that imports only libs', async () => {
    expect(await lint('apps/gamma/src/index.ts')).toBe('');
  }, 60_000);
});
