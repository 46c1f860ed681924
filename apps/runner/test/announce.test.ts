import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdErrorCode, KvClient, isKvError, minicoreKeys } from '@minicore/kv-client';
import { KvdCluster, kvdBuilt } from '@minicore/kvd-testing';
import type { AnnouncementView, ContainerDetails, ServiceEndpoint } from '../src/api/index.js';
import { TEST_IMAGE, noEngine, skipMessage } from './support/engine.js';
import { RunnerWorld, waitFor, type RunnerdProcess } from './support/harness.js';

const TTL_SECONDS = 2;

describe.skipIf(noEngine || !kvdBuilt)(`service announcements in a real kvd (${kvdBuilt ? skipMessage : 'needs the built kvd: nx build @minicore/kv'})`, () => {
  const world = new RunnerWorld();
  let kvd: KvdCluster;
  let kv: KvClient;
  let runnerd: RunnerdProcess;
  const args = () => ['--kv-endpoints', kvd.endpointList, '--announce-ttl', `${TTL_SECONDS}s`, '--advertise-host', '127.0.0.1'];

  beforeAll(async () => {
    await world.setup();
    // One member, its data on tmpfs, taking writes before runnerd starts.
    kvd = await KvdCluster.start(1, { logLevel: 'warn', waitWritable: true, dataRoot: process.platform === 'linux' ? '/dev/shm' : undefined });
    kv = new KvClient({ endpoints: kvd.endpoints, timeoutMs: 2000 });
    runnerd = await world.runnerd(args());
  });
  afterAll(async () => {
    await world.teardown();
    await kvd?.destroy();
  });

  /** The announcement's value, or undefined when the key is not there. */
  async function announced(service: string): Promise<(ServiceEndpoint & { ttl: number | undefined }) | undefined> {
    try {
      const response = await kv.get(minicoreKeys.service(service, world.machineId));
      return { ...(JSON.parse(response.node.value ?? '') as ServiceEndpoint), ttl: response.node.ttl };
    } catch (error) {
      if (isKvError(error, EtcdErrorCode.keyNotFound)) return undefined;
      throw error;
    }
  }

  async function details(name: string): Promise<ContainerDetails> {
    const [found] = JSON.parse((await runnerd.runctl(['inspect', name])).stdout) as ContainerDetails[];
    return found!;
  }

  it('keeps /services/NAME/<machine-id> with a TTL while the container runs, and removes it when it is killed', async () => {
    const name = world.name('web');
    const service = `${world.machineId}-web`;
    const admin = `${world.machineId}-admin`;
    const run = await runnerd.runctl(['run', '--name', name, '--announce', `${service}:8080`, '--announce', `${admin}:9090`, '-p', '127.0.0.1::8080', TEST_IMAGE, 'httpd', '-f', '-p', '8080']);
    expect(run.code, run.stderr).toBe(0);
    const value = await waitFor('the announcement', () => announced(service), 10_000);
    const container = await details(name);
    const published = Number(container.ports[0]?.match(/:(\d+)->8080/)?.[1]);
    expect(value).toMatchObject({ host: '127.0.0.1', port: published, container: name });
    expect(value.ttl).toBeGreaterThan(0);
    expect(value.ttl).toBeLessThanOrEqual(TTL_SECONDS);
    // Not published: the container's own address and port.
    const engineView = container.engine as { NetworkSettings: { IPAddress: string } };
    expect(await waitFor('the admin announcement', () => announced(admin))).toMatchObject({ host: engineView.NetworkSettings.IPAddress, port: 9090, container: name });
    expect(container.announce).toEqual([`${service}:8080`, `${admin}:9090`]);

    // Refreshed before it expires: still there after three TTLs.
    await new Promise((resolve) => setTimeout(resolve, TTL_SECONDS * 3000));
    expect(await announced(service)).toMatchObject({ container: name });
    const listed = JSON.parse((await runnerd.runctl(['-o', 'json', 'announcements'])).stdout) as AnnouncementView[];
    expect(listed.filter((a) => a.container === name).map((a) => [a.key, a.state])).toEqual([
      [minicoreKeys.service(service, world.machineId), 'announced'],
      [minicoreKeys.service(admin, world.machineId), 'announced'],
    ]);

    // kill -9 of the container: gone within the TTL (at once, from the die event).
    const killedAt = Date.now();
    await world.engine.killContainer(container.id, 'SIGKILL');
    // Both keys go (one delete each, so not at the same instant).
    await waitFor('the announcements to vanish', async () => (await announced(service)) === undefined && (await announced(admin)) === undefined, TTL_SECONDS * 1000);
    expect(Date.now() - killedAt).toBeLessThan(TTL_SECONDS * 1000);

    // Started again: announced again.
    expect((await runnerd.runctl(['start', name])).code).toBe(0);
    await waitFor('the announcement after start', () => announced(service), 10_000);
    expect((await runnerd.runctl(['stop', '-t', '1', name])).code).toBe(0);
    await waitFor('the announcement to go with the stop', async () => (await announced(service)) === undefined, TTL_SECONDS * 1000);
  });

  it('announces only while the health check passes', async () => {
    const name = world.name('checked');
    const service = `${world.machineId}-checked`;
    // Healthy only once the test creates /tmp/ready: no race with the machine's speed.
    const run = await runnerd.runctl([
      'run', '--name', name, '--announce', `${service}:8080`,
      '--health-cmd', 'test -f /tmp/ready', '--health-interval', '200ms', '--health-retries', '1',
      TEST_IMAGE, 'httpd', '-f', '-p', '8080',
    ]);
    expect(run.code, run.stderr).toBe(0);
    // Running but not healthy: not announced.
    await waitFor('the first failed check', async () => (await details(name)).health === 'unhealthy', 10_000);
    expect(await announced(service)).toBeUndefined();
    expect((await runnerd.runctl(['exec', name, 'touch', '/tmp/ready'])).code).toBe(0);
    await waitFor('the announcement once healthy', () => announced(service), 10_000);
    expect((await details(name)).health).toBe('healthy');

    // Unhealthy while still running: withdrawn; healthy again: back.
    expect((await runnerd.runctl(['exec', name, 'rm', '/tmp/ready'])).code).toBe(0);
    await waitFor('the announcement to be withdrawn when unhealthy', async () => (await announced(service)) === undefined, 5_000);
    expect((await details(name)).state).toBe('running');
    expect((await runnerd.runctl(['exec', name, 'touch', '/tmp/ready'])).code).toBe(0);
    await waitFor('the announcement once healthy again', () => announced(service), 5_000);
  });

  it('lets the keys of a killed runnerd expire within the TTL, and a new runnerd announces again', async () => {
    const name = world.name('orphan');
    const service = `${world.machineId}-orphan`;
    expect((await runnerd.runctl(['run', '--name', name, '--announce', `${service}:80`, TEST_IMAGE, 'sleep', '300'])).code).toBe(0);
    await waitFor('the announcement', () => announced(service), 10_000);

    await runnerd.kill();
    const killedAt = Date.now();
    await waitFor('the key of the dead runnerd to expire', async () => (await announced(service)) === undefined, TTL_SECONDS * 1000 + 1500);
    // etcd's TTL clock has whole-second resolution: allow one more second than the TTL.
    expect(Date.now() - killedAt).toBeLessThan(TTL_SECONDS * 1000 + 1500);

    // The container kept running; the next runnerd adopts it and announces it again.
    runnerd = await world.runnerd(args());
    expect(await waitFor('the announcement from the new runnerd', () => announced(service), 10_000)).toMatchObject({ container: name });
  });

  it('refuses a service this machine already announces, and bad --announce specs', async () => {
    const service = `${world.machineId}-single`;
    expect((await runnerd.runctl(['run', '--name', world.name('first'), '--announce', `${service}:80`, TEST_IMAGE, 'sleep', '300'])).code).toBe(0);
    const second = await runnerd.runctl(['run', '--name', world.name('second'), '--announce', `${service}:80`, TEST_IMAGE, 'sleep', '300']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`service "${service}" is already announced on this machine by container ${world.name('first')}`);
    const bad = await runnerd.runctl(['run', '--announce', 'web', TEST_IMAGE]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid --announce "web": expected NAME:PORT');
  });
});
