import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, readFile, readlink, realpath, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReleaseKeyPair } from '@minicore/release';
import { runRelease } from '../src/release.js';

/**
 * A release is a self-contained slot: built from this working tree, installed into slot A of a
 * folder outside it (so nothing can be loaded from the tree's node_modules), booted by the boot
 * selector the release carries, and then kvd runs from the slot (its native level addon loaded
 * from the slot's copy), and every other program of every app starts from it.
 */
const workspace = path.resolve(import.meta.dirname, '../../..');
const updaterd = path.join(workspace, 'apps/updater/bin/updaterd.js');
let work: string;
let slots: string;
let current: string;
const children: ChildProcess[] = [];

function run(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: work });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return once(child, 'close').then(([code]) => ({ code: code as number | null, stdout, stderr }));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'minicore-slot-run-'));
  slots = path.join(work, 'slots');
  current = path.join(work, 'current');
  await writeReleaseKeyPair(path.join(work, 'release.key'));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a release as a slot', () => {
  it('installs into slot A, boots, and kvd runs from the slot', async () => {
    let stdout = '';
    let stderr = '';
    const bundle = path.join(work, 'minicore-9.9.9.mcr');
    const code = await runRelease(['--version', '9.9.9', '--key', path.join(work, 'release.key'), '--out', bundle, '--root', workspace], {}, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ version: '9.9.9', boot: 'boot/updaterd-boot.mjs', unbuilt: [] });

    // A machine's first install (what provisioning runs), then the boot selector copied out of the slot.
    const installed = await run(updaterd, ['install', '--slots-dir', slots, '--bundle', bundle, '--trusted-key', path.join(work, 'release.key.pub')]);
    expect(installed.code, installed.stderr).toBe(0);
    expect(JSON.parse(installed.stdout)).toMatchObject({ slot: 'A', version: '9.9.9', record: { A: { priority: 1, tries: 0, successful: true } } });
    // The slot brings updaterd's bus policy and the unit templates (provisioning links the policy from the booted slot).
    expect(await readFile(path.join(slots, 'A/apps/updater/dbus/io.minicore.UpdateEngine.conf'), 'utf8')).toContain('<allow own="io.minicore.UpdateEngine"/>');
    expect(await readFile(path.join(slots, 'A/apps/updater/systemd/minicore-boot.service'), 'utf8')).toContain('updaterd-boot.mjs');
    await mkdir(path.join(work, 'boot'));
    await copyFile(path.join(slots, 'A/boot/updaterd-boot.mjs'), path.join(work, 'boot/updaterd-boot.mjs'));
    const booted = await run(path.join(work, 'boot/updaterd-boot.mjs'), ['--slots-dir', slots, '--current-link', current, '--boot-id', 'first']);
    expect(booted.code, booted.stderr).toBe(0);
    expect(JSON.parse(booted.stdout)).toMatchObject({ slot: 'A', trial: false });
    expect(await readlink(current)).toBe(path.join(slots, 'A'));

    const [client, peer] = [await freePort(), await freePort()];
    const kvd = spawn(
      process.execPath,
      [
        path.join(current, 'apps/kv/bin/kvd.js'),
        '--name', 'slot', '--data-dir', path.join(work, 'kv'),
        '--listen-client-urls', `http://127.0.0.1:${client}`, '--advertise-client-urls', `http://127.0.0.1:${client}`,
        '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
        '--initial-cluster', `slot=http://127.0.0.1:${peer}`,
      ],
      { stdio: 'ignore', cwd: work },
    );
    children.push(kvd);
    const deadline = Date.now() + 60_000;
    let healthy = false;
    while (!healthy && Date.now() < deadline && kvd.exitCode === null) {
      healthy = await fetch(`http://127.0.0.1:${client}/health`).then((r) => r.ok, () => false);
      if (!healthy) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(healthy, `kvd from the slot exited with ${kvd.exitCode}`).toBe(true);
    const put = await fetch(`http://127.0.0.1:${client}/v2/keys/from-slot`, { method: 'PUT', body: new URLSearchParams({ value: 'yes' }) });
    expect(put.status).toBe(201);
    // The code and the native addon kvd runs are the slot's copies.
    const slotA = await realpath(path.join(slots, 'A'));
    const maps = await readFile(`/proc/${kvd.pid}/maps`, 'utf8');
    const addon = maps.split('\n').find((line) => line.includes('classic-level'))?.split(/\s+/).pop();
    expect(addon).toMatch(new RegExp(`^${slotA}/node_modules/classic-level/`));
    expect(maps).not.toContain(path.join(workspace, 'node_modules'));
  }, 300_000);

  it('starts every program of every app from the slot', async () => {
    const bins: string[] = [];
    for (const app of ['kv', 'runner', 'scheduler', 'updater']) {
      const manifest = JSON.parse(await readFile(path.join(current, 'apps', app, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
      for (const script of Object.values(manifest.bin ?? {})) bins.push(path.join(current, 'apps', app, script));
    }
    expect(bins.length).toBeGreaterThanOrEqual(8);
    for (const bin of bins) {
      const outcome = await run(bin, ['--help']);
      expect({ bin: path.relative(current, bin), code: outcome.code, stderr: outcome.stderr }).toEqual({ bin: path.relative(current, bin), code: 0, stderr: '' });
    }
  }, 120_000);
});
