import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { UnitJson } from '@minicore/fleet-api';
import { KvClient } from '@minicore/kv-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvServerMissing, startKvCluster, type KvServerKind, type KvTestCluster } from '@minicore/kvd-testing';
import { isAlive, Machines, waitUntil, type Machine } from './support/machines.js';
import { schedctl } from './support/schedctl.js';

let kv: KvTestCluster;
let machines: Machines;
let unitDir: string;
let client: KvClient;
const leaseKey = '/_coreos.com/fleet/lease/engine-leader';

function alive(): Machine[] {
  return machines.all.filter((machine) => machine.running);
}

async function api<T>(pathname: string): Promise<T> {
  const response = await fetch(`${alive()[0]!.endpoint}/fleet/v1${pathname}`);
  return (await response.json()) as T;
}

async function leader(): Promise<string | undefined> {
  try {
    return (JSON.parse((await client.get(leaseKey)).node.value ?? '{}') as { MachineID?: string }).MachineID;
  } catch {
    return undefined;
  }
}

async function start(name: string, text: string): Promise<UnitJson> {
  const file = path.join(unitDir, name);
  await writeFile(file, text);
  const result = await schedctl(alive()[0]!.endpoint, 'start', '--block-attempts', '150', file);
  expect(result.stderr).toBe('');
  return api<UnitJson>(`/units/${encodeURIComponent(name)}`);
}

// The same tests against kvd and against a real etcd 3.4 (--enable-v2): users may point Minicore at either.
const kvServers: KvServerKind[] = ['kvd', 'etcd'];

function skipNote(kind: KvServerKind): string {
  const missing = kvServerMissing(kind);
  return missing ? ` (skipped: ${missing})` : '';
}

for (const kind of kvServers) {
  describe.skipIf(kvServerMissing(kind) !== undefined)(`failures and restarts (real ${kind} cluster, three schedulerd machines)${skipNote(kind)}`, () => {
    beforeAll(async () => {
      unitDir = await mkdtemp(path.join(tmpdir(), 'units-'));
      kv = await startKvCluster(kind, 3, { logLevel: 'warn' });
      client = new KvClient({ endpoints: kv.endpoints });
      // A 5 s presence TTL (not the usual 2 s): a schedulerd restarted on a loaded 2-core host can take
      // over 2 s to come back, and the restart test is about coming back within the TTL.
      machines = await Machines.start(kv.endpoints, ['', '', ''], ['--agent-ttl', '5s']);
      await waitUntil('3 machines registered', async () => ((await api<{ machines?: unknown[] }>('/machines')).machines?.length ?? 0) === 3);
    });

    afterAll(async () => {
      await machines?.destroy();
      await kv?.destroy();
      await rm(unitDir, { recursive: true, force: true });
    });

    it('a restarted schedulerd keeps its units running and adopts them', async () => {
      const unit = await start('steady.service', '[Service]\nExecStart=/bin/sleep 1000\n');
      const machine = machines.byId(unit.machineID!);
      const pid = (await machine.unitPids()).get('steady.service')!;
      expect(isAlive(pid)).toBe(true);

      await machine.stop();
      expect(isAlive(pid)).toBe(true);
      await machine.start();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(isAlive(pid)).toBe(true);
      expect((await machine.unitPids()).get('steady.service')).toBe(pid);
      const after = await api<UnitJson>('/units/steady.service');
      expect(after).toMatchObject({ machineID: machine.id, currentState: 'launched' });
      expect(machine.output).toContain('adopted a running unit process');

      // The adopted process is still under control: stopping the unit ends it.
      expect((await schedctl(machine.endpoint, 'stop', '--block-attempts', '100', 'steady')).code).toBe(0);
      await waitUntil('adopted process stopped', async () => !isAlive(pid));
      await schedctl(machine.endpoint, 'destroy', 'steady');
    });

    it('a graceful stop of the engine leader hands leadership over at once', async () => {
      const before = await waitUntil('an engine leader', leader);
      const machine = machines.byId(before);
      const stoppedAt = Date.now();
      await machine.stop();
      const next = await waitUntil('another leader', async () => {
        const now = await leader();
        return now !== undefined && now !== before ? now : undefined;
      }, 10_000, 50);
      // The lease TTL is 2 s: a handover well under it shows the lease was released, not expired.
      expect(Date.now() - stoppedAt).toBeLessThan(1500);
      expect(next).not.toBe(before);
      await machine.start();
    });

    it('after a machine dies (kill -9, units too) its units move once its presence key expires; the engine fails over', async () => {
      const unit = await start('mover.service', '[Service]\nExecStart=/bin/sleep 1000\n');
      let victim = machines.byId(unit.machineID!);
      const engineLeader = await waitUntil('an engine leader', leader);
      // Kill the leader too when it is elsewhere, so both failovers happen at once.
      const leaderMachine = machines.byId(engineLeader);
      await victim.crash();
      if (leaderMachine !== victim && alive().length > 1) {
        await leaderMachine.crash();
      }
      const survivors = alive().map((machine) => machine.id);
      const crashedAt = Date.now();
      const moved = await waitUntil('unit moved', async () => {
        const now = await api<UnitJson>('/units/mover.service');
        return now.currentState === 'launched' && survivors.includes(now.machineID ?? '') ? now : undefined;
      }, 30_000, 100);
      const elapsed = Date.now() - crashedAt;
      victim = machines.byId(moved.machineID!);
      const pid = (await victim.unitPids()).get('mover.service')!;
      expect(isAlive(pid)).toBe(true);
      // Not before the 5 s presence TTL had a chance to run out (the last heartbeat was at most a third of it earlier), and not much after.
      expect(elapsed).toBeGreaterThan(3000);
      expect(elapsed).toBeLessThan(20_000);
      expect(survivors).toContain(await leader());
      await waitUntil('the dead machines leave the list', async () => (await api<{ machines?: unknown[] }>('/machines')).machines?.length === survivors.length);
    });
  });
}
