import { KvClient } from '@minicore/kv-client';
import { kvServerMissing, startKvCluster, type KvServerKind, type KvTestCluster } from '@minicore/kvd-testing';
import { createLogger } from '@minicore/log';
import { parseUnitFile } from '@minicore/unit-file';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { decodeSchedule, machineScheduleKey } from '../src/registry/schedule-index.js';
import { Registry } from '../src/registry/registry.js';
import { waitUntil } from './support/machines.js';

// The engine alone, in this process, against a real kv cluster; machines are presence records
// written as their agents write them. Faster than whole schedulerd processes for what only the
// engine decides. Run against kvd and against a real etcd 3.4.
const kvServers: KvServerKind[] = ['kvd', 'etcd'];
const logger = createLogger({ name: 'engine-test', level: 'silent' });

for (const kind of kvServers) {
  const missing = kvServerMissing(kind);
  describe.skipIf(missing !== undefined)(`the engine against a real ${kind}${missing ? ` (skipped: ${missing})` : ''}`, () => {
    let kv: KvTestCluster;
    let registry: Registry;
    let engine: Engine | undefined;
    let prefixCount = 0;

    beforeAll(async () => {
      kv = await startKvCluster(kind, 1, { logLevel: 'warn' });
    });

    afterAll(async () => {
      await kv?.destroy();
    });

    afterEach(async () => {
      await engine?.stop();
      engine = undefined;
    });

    /** Each test in its own key prefix: a fresh cluster as far as the scheduler can tell. */
    function fresh(): Registry {
      prefixCount += 1;
      registry = new Registry(new KvClient({ endpoints: kv.endpoints }), `/engine-test-${prefixCount}`);
      return registry;
    }

    async function machine(id: string, metadata: Record<string, string> = {}, ttl = 60): Promise<void> {
      await registry.registerMachine({ ID: id, PublicIP: '127.0.0.1', Metadata: metadata, Capabilities: null, Version: '0.1.0' }, ttl);
    }

    async function submit(name: string, xFleet = ''): Promise<void> {
      await registry.putUnit(name, parseUnitFile(`[Service]\nExecStart=/bin/sleep 1000\n[X-Fleet]\n${xFleet}`), 'launched');
    }

    async function targets(): Promise<Record<string, string | undefined>> {
      return Object.fromEntries([...(await registry.units())].map(([name, unit]) => [name, unit.target]));
    }

    async function scheduleOf(id: string): Promise<string[]> {
      try {
        return decodeSchedule((await registry.kv.get(machineScheduleKey(registry.keys.prefix, id))).node.value).map((entry) => entry.name);
      } catch {
        return [];
      }
    }

    function startEngine(intervalMs: number): Engine {
      engine = new Engine({ registry, machineId: 'engine-test', intervalMs, logger });
      engine.start();
      return engine;
    }

    it('places a MachineOf chain on one machine, and moves the whole chain when that machine goes away', async () => {
      fresh();
      await machine('m1');
      await machine('m2');
      await submit('db.service', 'MachineID=m1');
      await submit('cache.service', 'MachineOf=db.service');
      await submit('web.service', 'MachineOf=cache.service');
      startEngine(300);
      expect(await waitUntil('the chain placed', async () => {
        const now = await targets();
        return now['web.service'] ? now : undefined;
      })).toEqual({ 'db.service': 'm1', 'cache.service': 'm1', 'web.service': 'm1' });
      expect(await scheduleOf('m1')).toEqual(['cache.service', 'db.service', 'web.service']);

      // db is pinned to m1: when m1's presence expires the chain has nowhere to go and is unplaced...
      // (m1's presence gets its short TTL only now, so a slow machine cannot expire it before the checks above.)
      await machine('m1', {}, 1);
      await waitUntil('the chain unplaced after m1 expired', async () => Object.values(await targets()).every((target) => target === undefined));
      // ...and m1's list is dropped, so a partitioned m1 stops the units when it comes back.
      await waitUntil("m1's schedule dropped", async () => (await scheduleOf('m1')).length === 0);
      // A machine that may carry the leader gets the whole chain.
      await registry.putUnit('db.service', parseUnitFile('[Service]\nExecStart=/bin/sleep 1000\n[X-Fleet]\nMachineID=m2\n'), 'launched');
      expect(await waitUntil('the chain on m2', async () => {
        const now = await targets();
        return now['web.service'] === 'm2' && now['cache.service'] === 'm2' ? now : undefined;
      })).toEqual({ 'db.service': 'm2', 'cache.service': 'm2', 'web.service': 'm2' });
    });

    it('reacts to a unit change at once through its watch, long before its periodic pass', async () => {
      fresh();
      await machine('m1');
      startEngine(60_000);
      await waitUntil('leadership', async () => engine!.leading);
      const submittedAt = Date.now();
      await submit('prompt.service');
      await waitUntil('placed', async () => (await targets())['prompt.service'] === 'm1', 10_000, 50);
      // The next periodic pass is a minute away: only the watch can explain this.
      expect(Date.now() - submittedAt).toBeLessThan(10_000);
      // A desired-state change reaches the machine's list the same way.
      await registry.setDesiredState('prompt.service', 'inactive');
      await waitUntil('unscheduled', async () => (await targets())['prompt.service'] === undefined, 10_000, 50);
      expect(await scheduleOf('m1')).toEqual([]);
    });

    it('reconciles periodically too: a machine that appears gets the unit waiting for it without any unit change', async () => {
      fresh();
      await submit('late.service', 'MachineMetadata=role=late');
      startEngine(300);
      await waitUntil('leadership', async () => engine!.leading);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect((await targets())['late.service']).toBeUndefined();
      // Machines are not watched (their heartbeats would wake the engine all the time): the timer finds it.
      await machine('m9', { role: 'late' });
      await waitUntil('placed on the new machine', async () => (await targets())['late.service'] === 'm9');
    });

    it('lists global units for every matching machine and never gives them a target', async () => {
      fresh();
      await machine('m1', { role: 'edge' });
      await machine('m2', { role: 'core' });
      await submit('edge.service', 'Global=true\nMachineMetadata=role=edge');
      await submit('everywhere.service', 'Global=true');
      startEngine(300);
      await waitUntil('lists written', async () => (await scheduleOf('m1')).length === 2 && (await scheduleOf('m2')).length === 1);
      expect(await scheduleOf('m1')).toEqual(['edge.service', 'everywhere.service']);
      expect(await scheduleOf('m2')).toEqual(['everywhere.service']);
      expect(await targets()).toEqual({ 'edge.service': undefined, 'everywhere.service': undefined });
    });
  });
}
