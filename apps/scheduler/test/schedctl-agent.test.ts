import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { UnitStateJson } from '@minicore/fleet-api';
import { freePort, KvdCluster } from '@minicore/kvd-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Machine, waitUntil } from './support/machines.js';

// schedctl status and journal as an operator runs them: a real schedctl process talks to one
// machine's schedulerd, which learns from fleet's API where the unit runs; schedctl then asks that
// machine's agent. Each simulated machine has its own loopback address and the same API port, as
// on a real cluster (every schedulerd on PUBLIC_IP:4002), so the address comes from the registry.
const SCHEDCTL_MAIN = path.resolve(import.meta.dirname, '../dist/schedctl/main.js');

/** A machine at its own loopback address; `listenIp` differs from its registered public IP to simulate an agent nobody can reach. */
class LoopbackMachine extends Machine {
  constructor(id: string, root: string, kvEndpoints: string[], port: number, readonly publicIp: string, readonly listenIp = publicIp) {
    super(id, path.join(root, id), kvEndpoints, '', ['--api-listen', `${listenIp}:${port}`, '--public-ip', publicIp]);
    this.port = port;
  }

  override get endpoint(): string {
    return `http://${this.listenIp}:${this.port}`;
  }
}

let kv: KvdCluster;
let root: string;
let machines: LoopbackMachine[];
let endpoint: string;
let marker: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function schedctl(...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [SCHEDCTL_MAIN, '--endpoint', endpoint, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ ...run, code })));
}

async function state(unit: string): Promise<UnitStateJson | undefined> {
  const response = await fetch(`${endpoint}/fleet/v1/state/${unit}`);
  return response.ok ? ((await response.json()) as UnitStateJson) : undefined;
}

async function unitFile(name: string, text: string): Promise<string> {
  const file = path.join(root, name);
  await writeFile(file, text);
  return file;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'schedctl-agent-'));
  marker = path.join(root, 'marker');
  kv = await KvdCluster.start(3, { logLevel: 'warn', waitWritable: true });
  const port = await freePort();
  machines = [
    new LoopbackMachine('m1', root, kv.endpoints, port, '127.0.0.61'),
    new LoopbackMachine('m2', root, kv.endpoints, port, '127.0.0.62'),
    // Registers 127.0.0.63 but listens on .64: its agent cannot be reached where the registry says.
    new LoopbackMachine('m3', root, kv.endpoints, port, '127.0.0.63', '127.0.0.64'),
  ];
  for (const machine of machines) await machine.start();
  endpoint = machines[0]!.endpoint;
  await waitUntil('3 machines registered', async () => ((await (await fetch(`${endpoint}/fleet/v1/machines`)).json()) as { machines?: unknown[] }).machines?.length === 3);

  // talker runs on m2 (schedctl talks to m1): it logs five lines, then one more once the marker exists.
  const talker = await unitFile('talker.service', `[Unit]\nDescription=talks a little\n\n[Service]\nExecStart=/bin/sh -c 'for i in 1 2 3 4 5; do echo line $i; done; while [ ! -e ${marker} ]; do sleep 0.1; done; echo after the marker; exec sleep 1000'\n\n[X-Fleet]\nMachineID=m2\n`);
  const lost = await unitFile('lost.service', '[Service]\nExecStart=/bin/sleep 1000\n\n[X-Fleet]\nMachineID=m3\n');
  for (const file of [talker, lost]) {
    const started = await schedctl('start', '--block-attempts', '200', file);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
  }
  const broken = await unitFile('broken.service', "[Service]\nExecStart=/bin/sh -c 'echo about to fail; exit 3'\n\n[X-Fleet]\nMachineID=m1\n");
  expect((await schedctl('start', '--no-block', broken)).code).toBe(0);
  await waitUntil('broken.service failed', async () => (await state('broken.service'))?.systemdActiveState === 'failed', 30_000);
  expect((await schedctl('submit', await unitFile('idle.service', '[Service]\nExecStart=/bin/sleep 1000\n'))).code).toBe(0);
  await waitUntil('talker logged its five lines', async () => (await schedctl('journal', 'talker.service')).stdout.includes('line 5'), 30_000);
}, 120_000);

afterAll(async () => {
  for (const machine of machines ?? []) await machine.crash();
  await kv?.destroy();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('schedctl status and journal through the agent of the unit\'s machine (exec backend)', () => {
  it('status of a running unit on another machine: systemctl status layout, exit 0', async () => {
    const run = await schedctl('status', 'talker');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('● talker.service - talks a little');
    expect(run.stdout).toMatch(/^ +Loaded: loaded \(exec backend, unit hash [0-9a-f]{7}\)$/m);
    expect(run.stdout).toMatch(/^ +Active: active \(running\) since \w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; .+ ago$/m);
    expect(run.stdout).toMatch(/^ +Main PID: \d+ \(sh\)$/m);
    expect(run.stdout).toMatch(/^ +Machine: m2\/127\.0\.0\.62$/m);
    // Then, after a blank line, the unit's last log lines as systemctl status shows them.
    expect(run.stdout).toContain('\n\n');
    expect(run.stdout).toMatch(/^line 5$/m);
  });

  it('status of a failed unit shows how its process ended', async () => {
    const run = await schedctl('status', 'broken.service');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^● broken\.service\n/);
    expect(run.stdout).toMatch(/^ +Active: failed \(failed\) since /m);
    expect(run.stdout).toMatch(/^ +Process: ExecStart=\/bin\/sh -c echo about to fail; exit 3 \(code=exited, status=3\)$/m);
    expect(run.stdout).toMatch(/^ +Machine: m1\/127\.0\.0\.61$/m);
    expect(run.stdout).toMatch(/^about to fail$/m);
  });

  it('status of several units, and --output json gives the agent\'s objects', async () => {
    const both = await schedctl('status', 'talker', 'broken');
    expect(both.code).toBe(0);
    expect(both.stdout).toMatch(/^● talker\.service[^]*\n\n● broken\.service/);

    const json = await schedctl('--output', 'json', 'status', 'talker.service');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'talker.service', machineID: 'm2', backend: 'exec', launched: true, state: { load: 'loaded', active: 'active', sub: 'running' }, restarts: 0 });
  });

  it('errors a person can act on, with fleetctl\'s messages and exit code 1', async () => {
    const unknown = await schedctl('status', 'nope.service');
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe('schedctl: Unit nope.service does not exist.\n');

    // fleetctl checks every unit before printing any.
    const mixed = await schedctl('status', 'talker', 'nope');
    expect(mixed.code).toBe(1);
    expect(mixed.stdout).toBe('');

    const idle = await schedctl('status', 'idle');
    expect(idle.code).toBe(1);
    expect(idle.stderr).toMatch(/^schedctl: Unit idle\.service does not appear to be loaded\. \(desired state inactive: schedctl start idle\.service\)\n$/);

    const unreachable = await schedctl('status', 'lost');
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(new RegExp(`^schedctl: Machine m3's agent unreachable at http://127\\.0\\.0\\.63:${machines[0]!.port} \\(ECONNREFUSED\\)`));

    const journalOfUnknown = await schedctl('journal', 'nope');
    expect(journalOfUnknown.code).toBe(1);
    expect(journalOfUnknown.stderr).toBe('schedctl: Unit nope.service does not exist.\n');
    const noUnit = await schedctl('journal');
    expect(noUnit.code).toBe(1);
    expect(noUnit.stderr).toBe('schedctl: One unit file must be provided.\n');
    const idleJournal = await schedctl('journal', 'idle');
    expect(idleJournal.stderr).toMatch(/^schedctl: Unit idle\.service does not appear to be running\./);
  });

  it('journal prints the last 10 lines by default, --lines N the last N', async () => {
    const all = await schedctl('journal', 'talker');
    expect(all.code).toBe(0);
    const lines = all.stdout.split('\n').slice(0, -1);
    expect(lines.length).toBeLessThanOrEqual(10);
    expect(lines.slice(-5)).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);

    const two = await schedctl('journal', '--lines', '2', 'talker.service');
    expect(two.code).toBe(0);
    expect(two.stdout).toBe('line 4\nline 5\n');

    const bad = await schedctl('journal', '--lines', 'many', 'talker');
    expect(bad.code).toBe(2);
  });

  it('journal -f prints new lines as the unit logs them, until Ctrl-C (exit 0)', async () => {
    const child = spawn(process.execPath, [SCHEDCTL_MAIN, '--endpoint', endpoint, 'journal', '-f', '--lines', '1', 'talker'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      await waitUntil('the last line', async () => stdout === 'line 5\n');
      await writeFile(marker, '');
      await waitUntil('the new line', async () => stdout === 'line 5\nafter the marker\n');
      child.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      expect(stderr).toBe('');
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a schedulerd that is itself the unit\'s machine answers when its registered address does not (one machine listening on loopback)', async () => {
    const m3 = machines[2]!;
    const child = spawn(process.execPath, [SCHEDCTL_MAIN, '--endpoint', m3.endpoint, 'status', 'lost'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ +Machine: m3\/127\.0\.0\.63$/m);
  });

  it('journal -f ends with exit 1 and says so when the agent closes the stream (its schedulerd stops)', async () => {
    const child = spawn(process.execPath, [SCHEDCTL_MAIN, '--endpoint', endpoint, 'journal', '--follow', 'talker'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      await waitUntil('the journal so far', async () => stdout.includes('after the marker\n'));
      await machines[1]!.stop(); // m2, where talker runs: a graceful stop closes its followers
      const [code] = (await exited) as [number | null];
      expect(code).toBe(1);
      expect(stderr).toMatch(/^schedctl: the journal of talker\.service stopped: machine m2's agent at http:\/\/127\.0\.0\.62:\d+ closed the stream/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
