import { KvClient } from '@minicore/kv-client';
import { KvdCluster } from '@minicore/kvd-testing';
import { createLogger } from '@minicore/log';
import { parseUnitFile } from '@minicore/unit-file';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { machineScheduleKey, decodeSchedule } from '../src/registry/schedule-index.js';
import { Registry } from '../src/registry/registry.js';
import { waitUntil } from './support/machines.js';

const gib = 1024 ** 3;
let kv: KvdCluster;
let registry: Registry;
let engine: Engine;

/** A machine as its agent registers it: presence record plus the load fields (`--placement load` reads them). */
async function register(id: string, load1: number, freeGiB: number): Promise<void> {
  await registry.registerMachine({ ID: id, PublicIP: '127.0.0.1', Metadata: null, Capabilities: null, Version: '0.1.0', LoadAverage: [load1, load1, load1], CPUs: 2, FreeMemory: freeGiB * gib }, 60);
}

async function submit(name: string): Promise<void> {
  await registry.putUnit(name, parseUnitFile('[Service]\nExecStart=/bin/sleep 1000\n'), 'launched');
}

async function placements(names: string[]): Promise<Record<string, string>> {
  return waitUntil(`${names.join(', ')} placed`, async () => {
    const now = await registry.units();
    return names.every((name) => now.get(name)?.target) ? Object.fromEntries(names.map((name) => [name, now.get(name)!.target!])) : undefined;
  }, 20_000);
}

beforeAll(async () => {
  kv = await KvdCluster.start(1, { logLevel: 'warn', waitWritable: true });
  registry = new Registry(new KvClient({ endpoints: kv.endpoints }));
  await register('m1', 1.8, 4);
  await register('m2', 0.2, 4);
  await register('m3', 1.0, 4);
  engine = new Engine({ registry, machineId: 'engine-test', intervalMs: 300, placement: 'load', logger: createLogger({ name: 'test', level: 'silent' }) });
  engine.start();
});

afterAll(async () => {
  await engine?.stop();
  await kv?.destroy();
});

describe('--placement load: an engine against a real kvd places by the load agents report', () => {
  it('puts units on the least busy machine even when it already carries the most units', async () => {
    await submit('a.service');
    await submit('b.service');
    await submit('c.service');
    expect(await placements(['a.service', 'b.service', 'c.service'])).toEqual({ 'a.service': 'm2', 'b.service': 'm2', 'c.service': 'm2' });
    // The agent's view: m2's list in the schedule index names them.
    const schedule = await waitUntil('m2 schedule', async () => {
      const entries = decodeSchedule((await registry.kv.get(machineScheduleKey(registry.keys.prefix, 'm2'))).node.value);
      return entries.length === 3 ? entries : undefined;
    });
    expect(schedule.map((entry) => entry.name)).toEqual(['a.service', 'b.service', 'c.service']);
  });

  it('follows the reports: once m2 is busy, new units go to the least busy machine left; equal loads fall back to free memory', async () => {
    await register('m2', 1.9, 4);
    await register('m3', 0.6, 2);
    await register('m1', 0.6, 8);
    await submit('d.service');
    expect(await placements(['d.service'])).toEqual({ 'd.service': 'm1' });
  });
});
