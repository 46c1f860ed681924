import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerSummary } from '../src/api/index.js';
import { TEST_IMAGE, noEngine, skipMessage } from './support/engine.js';
import { RunnerWorld, waitFor, type RunnerdProcess } from './support/harness.js';

describe.skipIf(noEngine)(`runctl run --attach (${skipMessage})`, () => {
  const world = new RunnerWorld();
  let runnerd: RunnerdProcess;

  beforeAll(async () => {
    await world.setup();
    runnerd = await world.runnerd();
  });
  afterAll(() => world.teardown());

  it('streams stdout and stderr and exits with the container exit code', async () => {
    const result = await runnerd.runctl(['run', '--attach', '--rm', TEST_IMAGE, 'sh', '-c', 'echo out-line; echo err-line >&2; exit 7']);
    expect(result).toEqual({ code: 7, stdout: 'out-line\n', stderr: 'err-line\n' });
    // Containers that exit at once, many times over: the exit must never be missed.
    for (let i = 0; i < 5; i++) {
      const quick = await runnerd.runctl(['run', '-a', '--name', world.name(`ok-${i}`), TEST_IMAGE, 'echo', 'fine'], 15_000);
      expect(quick).toMatchObject({ code: 0, stdout: 'fine\n' });
    }
  });

  it('turns SIGTERM into a stop of the container with a grace period, and exits with its code', async () => {
    const name = world.name('fg');
    const child = runnerd.spawnRunctl(['run', '--attach', '--name', name, '--restart', 'always', '--stop-timeout', '5', TEST_IMAGE, 'sh', '-c', 'trap "echo got-term; exit 3" TERM; echo ready; while true; do sleep 0.1; done']);
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await waitFor('the container to say ready', () => stdout.includes('ready'), 15_000);
    child.kill('SIGTERM');
    const outcome = await child.outcome;
    expect(outcome.code).toBe(3);
    expect(outcome.stdout).toContain('got-term');
    expect(outcome.stderr).toContain(`SIGTERM: stopping ${name}`);
    // Stopped through runnerd: not restarted in spite of --restart always.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const list = JSON.parse((await runnerd.runctl(['-o', 'json', 'ps', '-a'])).stdout) as ContainerSummary[];
    expect(list.find((c) => c.name === name)).toMatchObject({ state: 'exited', exitCode: 3, stoppedByUser: true, restarts: 0 });
  });

  it('turns SIGINT into a stop too, and kills a container that ignores it once the grace period is over', async () => {
    const name = world.name('stubborn');
    // PID 1 with SIGTERM ignored: only the SIGKILL after --stop-timeout ends it.
    const child = runnerd.spawnRunctl(['run', '--attach', '--name', name, '--stop-timeout', '1', TEST_IMAGE, 'sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 0.1; done']);
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await waitFor('the container to say ready', () => stdout.includes('ready'), 15_000);
    const interruptedAt = Date.now();
    child.kill('SIGINT');
    const outcome = await child.outcome;
    expect(outcome.code).toBe(137);
    expect(outcome.stderr).toContain(`SIGINT: stopping ${name} (up to 1s before SIGKILL)`);
    // Not before the grace period (the engine waits it out in whole seconds).
    expect(Date.now() - interruptedAt).toBeGreaterThanOrEqual(900);
    const list = JSON.parse((await runnerd.runctl(['-o', 'json', 'ps', '-a'])).stdout) as ContainerSummary[];
    expect(list.find((c) => c.name === name)).toMatchObject({ state: 'exited', exitCode: 137, oomKilled: false, stoppedByUser: true });
  });

  it('fails with the image named when it does not exist, creating nothing', async () => {
    const name = world.name('ghost');
    const result = await runnerd.runctl(['run', '--attach', '--name', name, 'minicore/no-such-image:1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no such image: minicore/no-such-image:1');
    const list = JSON.parse((await runnerd.runctl(['-o', 'json', 'ps', '-a'])).stdout) as ContainerSummary[];
    expect(list.some((c) => c.name === name)).toBe(false);
  });
});
