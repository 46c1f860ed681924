import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The README's first command, for real: the launcher that `npm start` runs boots three kvd
 * machines on 127.0.0.11-13 (standard ports), serves writes and reads, stops on Ctrl-C (SIGINT),
 * and keeps the data for the next start.
 */
const launcher = path.resolve(import.meta.dirname, '../dist/main.js');
let dataDir: string;

function startLauncher(): { child: ChildProcess; output: () => string; ready: Promise<void> } {
  const child = spawn(process.execPath, [launcher, '--data-dir', dataDir, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('Minicore is running')) {
        clearInterval(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`launcher exited: ${output}`));
      }
    }, 50);
  });
  return { child, output: () => output, ready };
}

async function stopWithCtrlC(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit') as Promise<[number | null]>;
  child.kill('SIGINT');
  const [code] = await exited;
  return code;
}

const docker = existsSync('/var/run/docker.sock');
const containerName = `launcher-test-${process.pid}`;
const runctl = path.resolve(import.meta.dirname, '../../../apps/runner/bin/runctl.js');

function runNode(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return (once(child, 'close') as Promise<[number | null]>).then(([code]) => ({ code, stdout, stderr }));
}

async function runContainer(): Promise<string> {
  const outcome = await runNode(runctl, ['--endpoint', 'http://127.0.0.11:4003', 'run', '--name', containerName, 'minicore/busybox:latest', 'sleep', '300']);
  expect(outcome.code, outcome.stderr).toBe(0);
  return containerName;
}

async function containerRunning(name: string): Promise<boolean> {
  const outcome = spawnSync('docker', ['inspect', '--format', '{{.State.Running}}', name], { encoding: 'utf8' });
  return outcome.stdout.trim() === 'true';
}

afterAll(async () => {
  if (docker) spawnSync('docker', ['rm', '-f', containerName], { stdio: 'ignore' });
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('npm start (the local cluster launcher)', () => {
  it('runs a 3-machine kv cluster, stops on Ctrl-C and keeps its data across restarts', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'minicore-start-'));
    const first = startLauncher();
    await first.ready;
    expect(first.output()).toContain('core-1  127.0.0.11  kv http://127.0.0.11:2379  scheduler http://127.0.0.11:4002');
    // With a Docker engine (CI has one) every machine also runs runnerd; without one the launcher says so.
    if (docker) {
      expect(first.output()).toContain('runner http://127.0.0.13:4003');
      expect((await fetch('http://127.0.0.13:4003/health')).status).toBe(200);
    } else {
      expect(first.output()).toContain('the machines run without runnerd');
    }
    expect(first.output()).toContain('npx kvctl set /hello world');
    // The cluster's update server runs on the host's address; every machine runs updaterd.
    expect(first.output()).toContain('update server http://127.0.0.10:4005');
    expect((await fetch('http://127.0.0.10:4005/health')).status).toBe(200);
    expect(first.output()).toMatch(/npm run release -- --version 1\.1\.0 --key \S+release\.key/);

    const written = await fetch('http://127.0.0.11:2379/v2/keys/hello', { method: 'PUT', body: new URLSearchParams({ value: 'world' }) });
    expect(written.status).toBe(201);
    const read = await fetch('http://127.0.0.13:2379/v2/keys/hello?quorum=true');
    expect(((await read.json()) as { node: { value: string } }).node.value).toBe('world');
    // A unit started through the scheduler runs as a process, and ends with the cluster.
    const unit = await fetch('http://127.0.0.11:4002/fleet/v1/units/launcher-test.service', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ desiredState: 'launched', options: [{ section: 'Service', name: 'ExecStart', value: '/bin/sleep 3600' }] }),
    });
    expect(unit.status).toBe(201);
    const deadline = Date.now() + 15_000;
    let active = '';
    while (Date.now() < deadline && active !== 'active') {
      const state = await fetch('http://127.0.0.11:4002/fleet/v1/state');
      active = ((await state.json()) as { states?: { systemdActiveState: string }[] }).states?.[0]?.systemdActiveState ?? '';
      if (active !== 'active') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(active).toBe('active');

    // Every machine's scheduler agent registered itself in kv.
    const machines = await fetch('http://127.0.0.12:4002/fleet/v1/machines');
    expect(((await machines.json()) as { machines: { id: string }[] }).machines.map((machine) => machine.id).sort()).toEqual(['core-1', 'core-2', 'core-3']);
    // A container runnerd runs on core-1 stops when the machine powers off.
    const container = docker ? await runContainer() : undefined;
    expect(await stopWithCtrlC(first.child)).toBe(0);
    expect(first.output()).toContain('stopped 1 unit process(es).');
    if (container) {
      expect(first.output()).toContain('stopped 1 container(s).');
      expect(await containerRunning(container)).toBe(false);
    }
    expect(first.output()).toContain('stopped.');

    const second = startLauncher();
    await second.ready;
    const again = await fetch('http://127.0.0.12:2379/v2/keys/hello?quorum=true');
    expect(((await again.json()) as { node: { value: string } }).node.value).toBe('world');
    expect(await stopWithCtrlC(second.child)).toBe(0);
  }, 90_000);
});
