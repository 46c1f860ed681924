import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerDetails, ContainerSummary } from '../src/api/index.js';
import { TEST_IMAGE, noEngine, skipMessage } from './support/engine.js';
import { RunnerWorld, waitFor, type RunnerdProcess } from './support/harness.js';

describe.skipIf(noEngine)(`logs -f, prune, --rm, limits and volumes, published ports (${skipMessage})`, () => {
  // A world of its own: prune removes every stopped container of the machine id.
  const world = new RunnerWorld();
  let runnerd: RunnerdProcess;

  beforeAll(async () => {
    await world.setup();
    runnerd = await world.runnerd();
  });
  afterAll(() => world.teardown());

  async function ps(): Promise<ContainerSummary[]> {
    const result = await runnerd.runctl(['-o', 'json', 'ps', '-a']);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as ContainerSummary[];
  }

  it('logs -f follows the output while the container runs and ends when it stops', async () => {
    const name = world.name('talker');
    // The second line waits for a file, so the follow is seen waiting, whatever the machine's speed.
    const run = await runnerd.runctl(['run', '--name', name, TEST_IMAGE, 'sh', '-c', 'echo one; while [ ! -f /tmp/go ]; do sleep 0.1; done; echo two']);
    expect(run.code, run.stderr).toBe(0);
    const follow = runnerd.spawnRunctl(['logs', '-f', name]);
    let stdout = '';
    let ended = false;
    follow.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    void follow.outcome.then(() => (ended = true));
    await waitFor('the first line', () => stdout === 'one\n', 15_000);
    expect(ended).toBe(false);
    expect((await runnerd.runctl(['exec', name, 'touch', '/tmp/go'])).code).toBe(0);
    const outcome = await follow.outcome;
    expect(outcome).toMatchObject({ code: 0, stdout: 'one\ntwo\n' });
  });

  it('--rm removes the container once it has exited', async () => {
    const name = world.name('once');
    const result = await runnerd.runctl(['run', '--attach', '--rm', '--name', name, TEST_IMAGE, 'echo', 'bye']);
    expect(result).toMatchObject({ code: 0, stdout: 'bye\n' });
    await waitFor('the container to be removed', async () => !(await ps()).some((c) => c.name === name), 10_000);
  });

  it('passes memory and cpu limits and bind mounts (read-only too) to the engine', async () => {
    const shared = path.join(world.dataDir, 'shared');
    await mkdir(shared, { recursive: true });
    await writeFile(path.join(shared, 'hello'), 'from the host\n');
    const name = world.name('limited');
    const script = 'cat /data/hello; touch /data/new 2>/dev/null && echo writable || echo read-only; cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us';
    const result = await runnerd.runctl(['run', '--attach', '--name', name, '-m', '64m', '--cpus', '0.5', '-v', `${shared}:/data:ro`, TEST_IMAGE, 'sh', '-c', script]);
    expect(result.code, result.stderr).toBe(0);
    const [hello, writable, quota] = result.stdout.trim().split('\n');
    expect(hello).toBe('from the host');
    expect(writable).toBe('read-only');
    // Half a CPU: 50 ms per 100 ms period (cgroup v2 `50000 100000`, v1 `50000`).
    expect(quota).toMatch(/^50000( 100000)?$/);
    const [details] = JSON.parse((await runnerd.runctl(['inspect', name])).stdout) as ContainerDetails[];
    expect(details).toMatchObject({ memoryBytes: 64 * 1024 * 1024, nanoCpus: 500_000_000, volumes: [`${shared}:/data:ro`] });
  });

  it('prune removes the stopped containers of this machine and leaves running ones', async () => {
    const done = world.name('done');
    const busy = world.name('busy');
    expect((await runnerd.runctl(['run', '--attach', '--name', done, TEST_IMAGE, 'true'])).code).toBe(0);
    expect((await runnerd.runctl(['run', '--name', busy, TEST_IMAGE, 'sleep', '300'])).code).toBe(0);
    const pruned = await runnerd.runctl(['prune']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain(`${done} `);
    expect(pruned.stdout).not.toContain(busy);
    const names = (await ps()).map((c) => c.name);
    expect(names).not.toContain(done);
    expect(names).toContain(busy);
  });

  it('a host port another container holds: the error names the container and the cause, and no container is left behind', async () => {
    const holder = world.name('holder');
    expect((await runnerd.runctl(['run', '--name', holder, '-p', '127.0.0.1::8080', TEST_IMAGE, 'sleep', '300'])).code).toBe(0);
    const published = (await ps()).find((c) => c.name === holder)?.ports[0] ?? '';
    const port = /^127\.0\.0\.1:(\d+)->8080\/tcp$/.exec(published)?.[1];
    expect(port, published).toBeDefined();

    const second = world.name('second');
    const result = await runnerd.runctl(['run', '--name', second, '-p', `127.0.0.1:${port}:8080`, TEST_IMAGE, 'sleep', '300']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot start container ${second}`);
    expect(result.stderr).toMatch(/port is already allocated|address already in use/);
    expect((await ps()).some((c) => c.name === second)).toBe(false);
  });

  it('answers a bad request to its API with 400 and the field at fault, before touching the engine', async () => {
    const before = (await ps()).length;
    const cases: [unknown, RegExp][] = [
      [{ image: TEST_IMAGE, memoryBytes: 1024 }, /memoryBytes/],
      [{ image: TEST_IMAGE, ports: [{ hostIp: '', hostPort: 70000, containerPort: 80, protocol: 'tcp' }] }, /hostPort/],
      [{ image: TEST_IMAGE, restart: { name: 'sometimes', maxRetries: 0 } }, /restart/],
      [{ image: TEST_IMAGE, name: 'no spaces allowed' }, /name/],
      [{ image: '' }, /image/],
    ];
    for (const [body, field] of cases) {
      const response = await fetch(`${runnerd.url}/v1/containers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status, JSON.stringify(body)).toBe(400);
      const answer = (await response.json()) as { error: { message: string } };
      expect(answer.error.message).toMatch(field);
    }
    expect((await ps()).length).toBe(before);
  });
});
