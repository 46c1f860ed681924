// Scenario 2 (runner): a container started on core-2 through runctl runs in core-2's own Docker engine
// (and in no other machine's); started with --announce it is announced in kv, and the announcement
// vanishes within its TTL when core-2 halts. core-2 comes back afterwards.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvctl, runctl } from '../src/clis.js';
import { clusterUnderTest, type ClusterMachine } from '../src/cluster.js';
import { allHealthy } from '../src/kv.js';
import { importTestImage, testImage } from '../src/runner.js';
import { waitFor } from '../src/wait.js';

const cluster = clusterUnderTest();
const machines = cluster.machines as [ClusterMachine, ClusterMachine, ...ClusterMachine[]];
const target = machines[1];
const others = machines.filter((machine) => machine !== target);
const suffix = randomUUID().slice(0, 8);
const name = `e2e-smoke-${suffix}`;
const announced = `e2e-announced-${suffix}`;
const service = `e2e-web-${suffix}`;
/** runnerd's --announce-ttl on the machines (its default; provisioning keeps it). */
const announceTtlMs = 10_000;
let halted = false;

describe.skipIf(cluster.kind !== 'vagrant')(`runner on the ${cluster.kind} cluster`, () => {
  beforeAll(async () => {
    await waitFor(`runnerd on ${target.name}`, async () => ((await runctl(target, ['ps'])) ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
    await importTestImage([target]);
  });

  afterAll(async () => {
    if (halted) await cluster.powerOn(target.name);
    for (const container of [name, announced]) await runctl(target, ['rm', '-f', container]).catch(() => undefined);
  });

  it(`runs a container started through runctl on ${target.name} in ${target.name}'s engine only`, async () => {
    const id = (await runctl(target, ['run', '--name', name, testImage, 'sleep', '600'])).trim();
    expect(id).toMatch(/^[0-9a-f]{12,64}$/);

    expect(await runctl(target, ['ps'])).toContain(name);
    const inTarget = await cluster.exec(target.name, "docker ps --format '{{.Names}} {{.State}}'");
    expect(inTarget).toContain(`${name} running`);
    for (const other of others) {
      expect(await cluster.exec(other.name, "docker ps -a --format '{{.Names}}'")).not.toContain(name);
    }
    // It really runs in the machine: a process of it is visible in the machine's own process table.
    expect(await cluster.exec(target.name, 'ps -eo args')).toContain('sleep 600');

    await runctl(target, ['rm', '-f', name]);
    expect(await cluster.exec(target.name, "docker ps -a --format '{{.Names}}'")).not.toContain(name);
  });

  it.skipIf(!cluster.canPowerCycle)(
    `announces a container started with --announce on ${target.name} in kv, and the announcement vanishes within its TTL when ${target.name} halts`,
    async () => {
      const key = `/services/${service}/${target.name}`;
      await runctl(target, ['run', '-d', '--name', announced, '--announce', `${service}:8080`, '-p', '18080:8080', testImage, 'sleep', '600']);

      // Read from the host through the other machines' kvd: the announcement is cluster state, not core-2's.
      const value = await waitFor(`${key} in kv`, async () => {
        const output = await kvctl(others, ['-o', 'json', 'get', key]).catch(() => '');
        return output ? (JSON.parse(output) as { node: { value: string; ttl?: number } }) : undefined;
      }, { timeoutMs: 30_000, intervalMs: 250 });
      expect(JSON.parse(value.node.value)).toMatchObject({ host: target.address, port: 18080 });
      expect(value.node.ttl).toBeGreaterThan(0);
      expect(value.node.ttl).toBeLessThanOrEqual(announceTtlMs / 1000);
      expect(await kvctl(others, ['ls', `/services/${service}`])).toContain(key);

      // Power core-2 off: nothing refreshes the key any more, so its TTL removes it.
      halted = true;
      const haltStarted = Date.now();
      const haltMs = await cluster.powerOff(target.name);
      const goneAt = await waitFor(`${key} to vanish`, async () => {
        try {
          await kvctl(others, ['get', key]);
          return undefined;
        } catch (error) {
          if (/Key not found/i.test((error as Error).message)) return Date.now();
          throw error;
        }
      }, { timeoutMs: announceTtlMs + 30_000, intervalMs: 250 });
      const afterHaltMs = goneAt - haltStarted - haltMs;
      console.log(`halted ${target.name} in ${haltMs} ms; ${key} vanished ${goneAt - haltStarted} ms after the halt began (${afterHaltMs} ms after it ended)`);
      // runnerd stops early in the shutdown: the key is gone at most one TTL (plus kv's expiry tick) after the halt.
      expect(afterHaltMs).toBeLessThanOrEqual(announceTtlMs + 2_000);

      // Power it on again: the machine rejoins kv, and runnerd answers again.
      const upMs = await cluster.powerOn(target.name);
      halted = false;
      await waitFor('every kv member healthy', async () => ((await allHealthy(cluster.machines)) ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
      await waitFor(`runnerd on ${target.name}`, async () => ((await runctl(target, ['ps', '-a'])) ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
      console.log(`powered ${target.name} on in ${upMs} ms`);
    },
  );
});
