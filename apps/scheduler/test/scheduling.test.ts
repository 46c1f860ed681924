import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { UnitJson, UnitStateJson } from '@minicore/fleet-api';
import { KvClient } from '@minicore/kv-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvServerMissing, startKvCluster, type KvServerKind, type KvTestCluster } from '@minicore/kvd-testing';
import { isAlive, Machines, waitUntil } from './support/machines.js';
import { schedctl } from './support/schedctl.js';

let kv: KvTestCluster;
let machines: Machines;
let unitDir: string;

async function api<T>(pathname: string): Promise<T> {
  const response = await fetch(`${machines.all[0]!.endpoint}/fleet/v1${pathname}`);
  return (await response.json()) as T;
}

async function activeStates(unit: string): Promise<UnitStateJson[]> {
  const page = await api<{ states?: UnitStateJson[] }>(`/state?unitName=${encodeURIComponent(unit)}`);
  return (page.states ?? []).filter((state) => state.systemdActiveState === 'active');
}

/** Machines whose exec backend runs a live process for the unit. */
async function runningOn(unit: string): Promise<string[]> {
  const on: string[] = [];
  for (const machine of machines.all) {
    const pid = (await machine.unitPids()).get(unit);
    if (pid !== undefined && isAlive(pid)) on.push(machine.id);
  }
  return on;
}

async function unitFile(name: string, text: string): Promise<string> {
  const file = path.join(unitDir, name);
  await writeFile(file, text);
  return file;
}

// The same tests against kvd and against a real etcd 3.4 (--enable-v2): users may point Minicore at either.
const kvServers: KvServerKind[] = ['kvd', 'etcd'];

function skipNote(kind: KvServerKind): string {
  const missing = kvServerMissing(kind);
  return missing ? ` (skipped: ${missing})` : '';
}

for (const kind of kvServers) {
  describe.skipIf(kvServerMissing(kind) !== undefined)(`scheduling on a real ${kind} cluster with three schedulerd machines (exec backend)${skipNote(kind)}`, () => {
    beforeAll(async () => {
      unitDir = await mkdtemp(path.join(tmpdir(), 'units-'));
      kv = await startKvCluster(kind, 3, { logLevel: 'warn' });
      machines = await Machines.start(kv.endpoints, ['region=eu', 'region=us,disk=ssd', 'region=us']);
      await waitUntil('3 machines registered', async () => ((await api<{ machines?: unknown[] }>('/machines')).machines?.length ?? 0) === 3);
    });

    afterAll(async () => {
      await machines?.destroy();
      await kv?.destroy();
      await rm(unitDir, { recursive: true, force: true });
    });

    it('list-machines shows every machine with its metadata', async () => {
      const result = await schedctl(machines.all[0]!.endpoint, 'list-machines', '--full');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^MACHINE\s+IP\s+METADATA\n/);
      expect(result.stdout).toMatch(/^m2\s+127\.0\.0\.1\s+region=us,disk=ssd$/m);
      // Each agent reports how busy its machine is with its presence (read by --placement load).
      const object = JSON.parse((await new KvClient({ endpoints: kv.endpoints }).get('/_coreos.com/fleet/machines/m2/object')).node.value ?? '{}') as { LoadAverage?: number[]; CPUs?: number; FreeMemory?: number };
      expect(object.LoadAverage).toHaveLength(3);
      expect(object.CPUs).toBeGreaterThan(0);
      expect(object.FreeMemory).toBeGreaterThan(0);
    });

    it('start: the unit runs on exactly one machine, and stop/destroy end it', async () => {
      const file = await unitFile('hello.service', '[Unit]\nDescription=Hello\n\n[Service]\nExecStart=/bin/sleep 1000\n');
      const started = await schedctl(machines.all[1]!.endpoint, 'start', '--block-attempts', '100', file);
      expect(started.stderr).toBe('');
      expect(started.code).toBe(0);
      expect(started.stdout).toMatch(/Unit hello.service launched on m\d/);

      const unit = await api<UnitJson>('/units/hello.service');
      expect(unit.currentState).toBe('launched');
      expect(await waitUntil('one process', async () => ((await runningOn('hello.service')).length === 1 ? runningOn('hello.service') : undefined))).toEqual([unit.machineID]);
      expect((await activeStates('hello.service')).map((state) => state.machineID)).toEqual([unit.machineID]);

      const listed = await schedctl(machines.all[0]!.endpoint, 'list-units', '--no-legend');
      expect(listed.stdout).toMatch(new RegExp(`^hello\\.service\\s+${unit.machineID}\\.\\.\\./127\\.0\\.0\\.1\\s+active\\s+running$`, 'm'));
      const files = await schedctl(machines.all[0]!.endpoint, 'list-unit-files');
      expect(files.stdout).toMatch(/^UNIT\s+HASH\s+DSTATE\s+STATE\s+TARGET\n/);
      expect(files.stdout).toMatch(/hello\.service\s+[0-9a-f]{7}\s+launched\s+launched\s+m\d/);
      expect((await schedctl(machines.all[0]!.endpoint, 'cat', 'hello')).stdout).toBe('[Unit]\nDescription=Hello\n\n[Service]\nExecStart=/bin/sleep 1000\n');

      const stopped = await schedctl(machines.all[0]!.endpoint, 'stop', '--block-attempts', '100', 'hello.service');
      expect(stopped.code).toBe(0);
      await waitUntil('process gone after stop', async () => (await runningOn('hello.service')).length === 0);
      expect((await api<UnitJson>('/units/hello.service')).currentState).toBe('loaded');

      expect((await schedctl(machines.all[0]!.endpoint, 'destroy', 'hello.service')).stdout).toBe('Destroyed hello.service\n');
      await waitUntil('state removed after destroy', async () => (await api<{ states?: unknown[] }>('/state?unitName=hello.service')).states === undefined);
    });

    it('Conflicts keep units apart; MachineMetadata picks machines', async () => {
      const conflicting = '[Service]\nExecStart=/bin/sleep 1000\n[X-Fleet]\nConflicts=apart@*.service\n';
      const template = await unitFile('apart@.service', conflicting);
      const submitted = await schedctl(machines.all[0]!.endpoint, 'submit', template);
      expect(submitted.code).toBe(0);
      const started = await schedctl(machines.all[0]!.endpoint, 'start', '--block-attempts', '100', path.join(unitDir, 'apart@1.service'), path.join(unitDir, 'apart@2.service'), path.join(unitDir, 'apart@3.service'));
      expect(started.stderr).toBe('');
      const places = await Promise.all(['apart@1.service', 'apart@2.service', 'apart@3.service'].map(async (name) => (await api<UnitJson>(`/units/${encodeURIComponent(name)}`)).machineID));
      expect(new Set(places).size).toBe(3);

      // A fourth conflicting unit has nowhere to go: it stays unplaced.
      const fourth = await schedctl(machines.all[0]!.endpoint, 'start', '--no-block', path.join(unitDir, 'apart@4.service'));
      expect(fourth.stdout).toBe('Triggered unit apart@4.service start\n');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await api<UnitJson>('/units/apart%404.service')).currentState).toBe('inactive');
      expect((await api<UnitJson>('/units/apart%404.service')).machineID).toBeUndefined();

      const us = await unitFile('us-only.service', '[Service]\nExecStart=/bin/sleep 1000\n[X-Fleet]\nMachineMetadata=region=us\nMachineMetadata=disk=ssd\n');
      expect((await schedctl(machines.all[0]!.endpoint, 'start', '--block-attempts', '100', us)).code).toBe(0);
      expect((await api<UnitJson>('/units/us-only.service')).machineID).toBe('m2');

      for (const name of ['apart@1', 'apart@2', 'apart@3', 'apart@4', 'apart@', 'us-only']) await schedctl(machines.all[0]!.endpoint, 'destroy', name);
      await waitUntil('all apart units gone', async () => (await runningOn('apart@1.service')).length + (await runningOn('us-only.service')).length === 0);
    });

    it('Global units run on every machine whose metadata matches', async () => {
      const everywhere = await unitFile('everywhere.service', '[Service]\nExecStart=/bin/sleep 1000\n[X-Fleet]\nGlobal=true\n');
      const usOnly = await unitFile('us-global.service', '[Service]\nExecStart=/bin/sleep 1000\n[X-Fleet]\nGlobal=true\nMachineMetadata=region=us\n');
      expect((await schedctl(machines.all[0]!.endpoint, 'start', everywhere, usOnly)).code).toBe(0);
      await waitUntil('global unit active on 3 machines', async () => (await activeStates('everywhere.service')).length === 3);
      await waitUntil('us global unit active on 2 machines', async () => (await activeStates('us-global.service')).length === 2);
      expect((await runningOn('everywhere.service')).sort()).toEqual(['m1', 'm2', 'm3']);
      expect((await runningOn('us-global.service')).sort()).toEqual(['m2', 'm3']);
      const unit = await api<UnitJson>('/units/everywhere.service');
      expect(unit.machineID).toBeUndefined();
      expect(unit.currentState).toBeUndefined();
      const files = await schedctl(machines.all[0]!.endpoint, 'list-unit-files', '--fields', 'unit,state,target', '--no-legend');
      expect(files.stdout).toContain('everywhere.service  -      global');

      await schedctl(machines.all[0]!.endpoint, 'destroy', 'everywhere', 'us-global');
      await waitUntil('global units gone', async () => (await runningOn('everywhere.service')).length + (await runningOn('us-global.service')).length === 0);
    });

    it('a unit with Restart=on-failure comes back after its process is killed', async () => {
      const file = await unitFile('phoenix.service', '[Service]\nExecStart=/bin/sleep 1000\nRestart=on-failure\nRestartSec=200ms\n');
      expect((await schedctl(machines.all[0]!.endpoint, 'start', '--block-attempts', '100', file)).code).toBe(0);
      const [where] = await runningOn('phoenix.service');
      const machine = machines.byId(where!);
      const pid = (await machine.unitPids()).get('phoenix.service')!;
      process.kill(-pid, 'SIGKILL');
      const next = await waitUntil('restarted process', async () => {
        const now = (await machine.unitPids()).get('phoenix.service');
        return now !== undefined && now !== pid && isAlive(now) ? now : undefined;
      });
      expect(next).not.toBe(pid);
      const status = (await (await fetch(`${machine.endpoint}/minicore/v1/units/phoenix.service/status`)).json()) as { restarts: number; lastExit: string };
      expect(status.restarts).toBeGreaterThanOrEqual(1);
      const journal = (await (await fetch(`${machine.endpoint}/minicore/v1/units/phoenix.service/journal?lines=20`)).json()) as { lines: string[] };
      expect(journal.lines.join('\n')).toContain('Main process exited');
      await schedctl(machines.all[0]!.endpoint, 'destroy', 'phoenix');
    });
  });
}
