import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerDetails, ContainerSummary } from '../src/api/index.js';
import { TEST_IMAGE, noEngine, skipMessage } from './support/engine.js';
import { RunnerWorld, RunnerdProcess, waitFor, type RunnerdProcess as Runnerd } from './support/harness.js';

describe.skipIf(noEngine)(`runnerd + runctl against a real engine (${skipMessage})`, () => {
  const world = new RunnerWorld();
  let runnerd: Runnerd;
  const importedImages: string[] = [];

  beforeAll(async () => {
    await world.setup();
    runnerd = await world.runnerd();
  });
  afterAll(async () => {
    await world.teardown();
    for (const image of importedImages) await world.engine.removeImage(image, true).catch(() => undefined);
  });

  async function ps(all = true): Promise<ContainerSummary[]> {
    const result = await runnerd.runctl(['-o', 'json', 'ps', ...(all ? ['-a'] : [])]);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as ContainerSummary[];
  }

  it('runs, lists, logs, execs, inspects, stops, starts and removes a container', async () => {
    const name = world.name('web');
    const run = await runnerd.runctl(['run', '--name', name, '-e', 'GREETING=hello', '-l', 'tier=web', '-p', '127.0.0.1::8080', TEST_IMAGE, 'sh', '-c', 'echo "$GREETING from stdout"; echo "to stderr" >&2; exec httpd -f -p 8080']);
    expect(run.code, run.stderr).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);

    const listed = (await ps(false)).find((c) => c.name === name);
    expect(listed).toMatchObject({ id, image: TEST_IMAGE, state: 'running', status: 'running', labels: { tier: 'web' }, restartPolicy: 'no' });
    expect(listed?.ports[0]).toMatch(/^127\.0\.0\.1:\d+->8080\/tcp$/);
    const table = await runnerd.runctl(['ps']);
    expect(table.stdout).toContain(name);
    expect(table.stdout.split('\n')[0]).toMatch(/^CONTAINER ID\s+NAME\s+IMAGE\s+STATUS/);

    const logs = await waitFor('the log lines', async () => {
      const result = await runnerd.runctl(['logs', name]);
      return result.stdout.includes('hello from stdout') && result.stderr.includes('to stderr') ? result : undefined;
    });
    expect(logs.code).toBe(0);
    const tail = await runnerd.runctl(['logs', '--tail', '1', name]);
    expect(`${tail.stdout}${tail.stderr}`.trim().split('\n')).toHaveLength(1);

    const exec = await runnerd.runctl(['exec', name, 'sh', '-c', 'echo in-container $GREETING; exit 4']);
    expect(exec).toMatchObject({ code: 4, stdout: 'in-container hello\n' });

    const inspect = await runnerd.runctl(['inspect', id.slice(0, 12)]);
    const [details] = JSON.parse(inspect.stdout) as ContainerDetails[];
    expect(details).toMatchObject({ name, env: expect.arrayContaining(['GREETING=hello']) as unknown, oomKilled: false });
    expect((details?.engine as { State: { Running: boolean } }).State.Running).toBe(true);

    expect((await runnerd.runctl(['rm', name])).stderr).toContain(`container ${name} is running: stop it first`);
    const stop = await runnerd.runctl(['stop', '-t', '1', name]);
    expect(stop.code, stop.stderr).toBe(0);
    expect((await ps()).find((c) => c.name === name)).toMatchObject({ state: 'exited', stoppedByUser: true });
    expect((await runnerd.runctl(['exec', name, 'true'])).stderr).toContain(`container ${name} is not running`);

    expect((await runnerd.runctl(['start', name])).code).toBe(0);
    expect((await ps(false)).find((c) => c.name === name)?.state).toBe('running');
    const rm = await runnerd.runctl(['rm', '-f', name]);
    expect(rm.code, rm.stderr).toBe(0);
    expect((await ps()).find((c) => c.name === name)).toBeUndefined();
  });

  it('names the image, the name or the value at fault, with exit 1 for failures and 2 for bad input', async () => {
    const unknownImage = await runnerd.runctl(['run', 'minicore/no-such-image:1']);
    expect(unknownImage).toMatchObject({ code: 1 });
    expect(unknownImage.stderr).toContain('no such image: minicore/no-such-image:1');

    const name = world.name('taken');
    expect((await runnerd.runctl(['run', '--name', name, TEST_IMAGE, 'sleep', '30'])).code).toBe(0);
    const duplicate = await runnerd.runctl(['run', '--name', name, TEST_IMAGE]);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain(`container name "${name}" is already in use`);

    const badMemory = await runnerd.runctl(['run', '--memory', '64q', TEST_IMAGE]);
    expect(badMemory.code).toBe(2);
    expect(badMemory.stderr).toContain('invalid memory limit "64q": expected a size such as 512k, 64m or 1g');
    const badPort = await runnerd.runctl(['run', '-p', '8080:99999', TEST_IMAGE]);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('invalid port spec "8080:99999"');
    const badRestart = await runnerd.runctl(['run', '--restart', 'sometimes', TEST_IMAGE]);
    expect(badRestart.code).toBe(2);
    expect(badRestart.stderr).toContain('sometimes');
    for (const [args, message] of [
      [['--memory', '1k'], 'memory limit "1k" is too small: the minimum is 6m'],
      [['--cpus', 'half'], 'invalid cpu limit "half": expected a number of CPUs such as 0.5 or 2'],
      [['--cpus', '0'], 'invalid cpu limit "0"'],
      [['-p', '8080:80/icmp'], 'unknown protocol "icmp"'],
      [['-p', 'web:80'], 'invalid port spec "web:80"'],
    ] as const) {
      const bad = await runnerd.runctl(['run', ...args, TEST_IMAGE]);
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stderr).toContain(message);
    }
    expect((await runnerd.runctl(['stop', world.name('never-made')])).stderr).toContain(`no such container: ${world.name('never-made')}`);

    const json = await runnerd.runctl(['-o', 'json', 'run', 'minicore/no-such-image:1']);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { details: { code: 'RUNNER_NO_SUCH_IMAGE' } } });
  });

  it('reports an unreachable engine by its socket', async () => {
    const lost = new RunnerdProcess(`${world.machineId}-lost`, path.join(world.dataDir, 'lost'), ['--docker-socket', '/nonexistent/docker.sock']);
    await lost.start();
    try {
      for (const command of [['ps'], ['run', TEST_IMAGE], ['images']]) {
        const result = await lost.runctl(command);
        expect(result.code, command.join(' ')).toBe(1);
        expect(result.stderr).toContain('Docker engine unreachable at /nonexistent/docker.sock');
      }
      const health = await fetch(`${lost.url}/health`);
      expect(health.status).toBe(503);
    } finally {
      await lost.stop();
    }
  });

  it('never lists or touches a container it did not create', async () => {
    const hand = await world.engine.createContainer({ Image: TEST_IMAGE, name: world.name('by-hand'), Cmd: ['sleep', '30'] });
    const otherMachine = await world.engine.createContainer({ Image: TEST_IMAGE, name: world.name('other-machine'), Cmd: ['sleep', '30'], Labels: { 'io.minicore.runner': '1', 'io.minicore.runner.machine': 'some-other-machine', 'io.minicore.runner.restart': 'always' } });
    world.foreignContainers.push(hand, otherMachine);
    await world.engine.startContainer(hand);
    await world.engine.startContainer(otherMachine);

    const names = (await ps()).map((c) => c.name);
    expect(names).not.toContain(world.name('by-hand'));
    expect(names).not.toContain(world.name('other-machine'));
    for (const command of [['stop', world.name('by-hand')], ['rm', '-f', world.name('by-hand')], ['rm', '-f', otherMachine.slice(0, 12)], ['exec', world.name('other-machine'), 'true']]) {
      const result = await runnerd.runctl(command);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('no such container');
    }
    // A foreign container that exits is not restarted, and prune leaves it alone.
    await world.engine.killContainer(otherMachine);
    await runnerd.runctl(['prune']);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await world.engine.inspectContainer(otherMachine)).State.Running).toBe(false);
    expect((await world.engine.inspectContainer(hand)).State.Running).toBe(true);
  });

  it('reports a container killed for exceeding its memory limit as OOM-killed', async () => {
    const name = world.name('hog');
    const run = await runnerd.runctl(['run', '--attach', '--name', name, '--memory', '16m', TEST_IMAGE, 'sh', '-c', 'tail -c 200000000 /dev/zero'], 60_000);
    expect(run.code).toBe(137);
    expect(run.stderr).toContain(`container ${name} was killed: out of memory (limit 16m)`);
    const [details] = JSON.parse((await runnerd.runctl(['inspect', name])).stdout) as ContainerDetails[];
    expect(details).toMatchObject({ oomKilled: true, exitCode: 137, memoryBytes: 16 * 1024 * 1024 });
    expect((details?.engine as { State: { OOMKilled: boolean } }).State.OOMKilled).toBe(true);
    expect((await ps()).find((c) => c.name === name)?.status).toBe('exited (137, OOM-killed)');
  });

  it('imports a rootfs tarball as an image and lists it', async () => {
    const root = path.join(world.dataDir, 'rootfs');
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await writeFile(path.join(root, 'etc', 'motd'), 'imported\n');
    const tarball = path.join(world.dataDir, 'rootfs.tar');
    await promisify(execFile)('tar', ['-C', root, '-cf', tarball, '.']);
    const image = `minicore/${world.machineId}:t1`;
    importedImages.push(image);
    const result = await runnerd.runctl(['import', tarball, image]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect((await runnerd.runctl(['images'])).stdout).toContain(image);
    expect((await runnerd.runctl(['import', tarball, 'Bad Name'])).code).toBe(2);
  });
});
