import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerEvent } from '@minicore/docker-engine';
import type { ContainerSummary } from '../src/api/index.js';
import { TEST_IMAGE, noEngine, skipMessage } from './support/engine.js';
import { RunnerWorld, waitFor, type RunnerdProcess } from './support/harness.js';

describe.skipIf(noEngine)(`restart policies and adoption (${skipMessage})`, () => {
  const world = new RunnerWorld();
  let runnerd: RunnerdProcess;

  beforeAll(async () => {
    await world.setup();
    runnerd = await world.runnerd();
  });
  afterAll(() => world.teardown());

  async function container(name: string): Promise<ContainerSummary | undefined> {
    const result = await runnerd.runctl(['-o', 'json', 'ps', '-a']);
    return (JSON.parse(result.stdout) as ContainerSummary[]).find((c) => c.name === name);
  }

  it('restarts a container that exits 1 per on-failure:N, with growing delays, then gives up', async () => {
    const name = world.name('flaky');
    const events = await world.engine.containerEvents([`io.minicore.runner.machine=${world.machineId}`]);
    const starts: number[] = [];
    const collecting = (async () => {
      for await (const event of events as AsyncIterable<ContainerEvent>) if (event.name === name && event.action === 'start') starts.push(Date.now());
    })();
    try {
      const run = await runnerd.runctl(['run', '--name', name, '--restart', 'on-failure:3', TEST_IMAGE, 'sh', '-c', 'exit 1']);
      expect(run.code, run.stderr).toBe(0);
      await waitFor('the first start and 3 restarts', () => starts.length >= 4, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(starts).toHaveLength(4);
      const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
      // Backoff 200 ms, 400 ms, 800 ms (runnerd started with --restart-backoff 200ms), plus the run time.
      expect(gaps[0]).toBeGreaterThanOrEqual(180);
      expect(gaps[1]).toBeGreaterThanOrEqual(380);
      expect(gaps[2]).toBeGreaterThanOrEqual(780);
      expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
      expect(await container(name)).toMatchObject({ state: 'exited', exitCode: 1, restarts: 3, restartPolicy: 'on-failure:3', nextRestartAt: null });
    } finally {
      events.close();
      await collecting.catch(() => undefined);
    }
  });

  it('does not restart on-failure after exit 0, nor any container stopped through runctl', async () => {
    const clean = world.name('clean');
    await runnerd.runctl(['run', '--name', clean, '--restart', 'on-failure', TEST_IMAGE, 'true']);
    const always = world.name('always');
    await runnerd.runctl(['run', '--name', always, '--restart', 'always', TEST_IMAGE, 'sleep', '300']);
    const stop = await runnerd.runctl(['stop', '-t', '1', always]);
    expect(stop.code, stop.stderr).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await container(clean)).toMatchObject({ state: 'exited', exitCode: 0, restarts: 0 });
    expect(await container(always)).toMatchObject({ state: 'exited', restarts: 0, stoppedByUser: true });
  });

  it('adopts its containers after a restart: unless-stopped keeps running and is restarted when it dies', async () => {
    const survivor = world.name('survivor');
    const stopped = world.name('stopped');
    expect((await runnerd.runctl(['run', '--name', survivor, '--restart', 'unless-stopped', TEST_IMAGE, 'sleep', '300'])).code).toBe(0);
    expect((await runnerd.runctl(['run', '--name', stopped, '--restart', 'unless-stopped', TEST_IMAGE, 'sleep', '300'])).code).toBe(0);
    expect((await runnerd.runctl(['stop', '-t', '0', stopped])).code).toBe(0);

    await runnerd.stop();
    // While no runnerd runs: the container keeps running; then it dies.
    const survivorId = (await world.engine.listContainers([`io.minicore.runner.machine=${world.machineId}`], true)).find((c) => c.Names[0] === `/${survivor}`)!.Id;
    expect((await world.engine.inspectContainer(survivorId)).State.Running).toBe(true);
    await world.engine.killContainer(survivorId);

    runnerd = await world.runnerd();
    await waitFor('the survivor to be started by the new runnerd', async () => (await world.engine.inspectContainer(survivorId)).State.Running, 10_000);
    // And supervised from now on: a second death is seen through the event stream.
    await world.engine.killContainer(survivorId);
    await waitFor('the survivor to be restarted again', async () => (await container(survivor))?.state === 'running' && (await container(survivor))!.restarts >= 2, 10_000);
    // The one stopped through runctl stays stopped.
    expect(await container(stopped)).toMatchObject({ state: 'exited', stoppedByUser: true });
  });
});
