import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageSummary, TransferResponse } from '../src/api/index.js';
import { TEST_IMAGE, noEngine, skipMessage } from './support/engine.js';
import { RunnerWorld, type RunnerdProcess } from './support/harness.js';
import { RegistryProcess, registryInstalled } from './support/registry.js';

describe.skipIf(noEngine || !registryInstalled)(`runctl push and pull against a real registry (${registryInstalled ? skipMessage : 'needs docker-registry: apt-get install docker-registry'})`, () => {
  const world = new RunnerWorld();
  let registry: RegistryProcess;
  let runnerd: RunnerdProcess;
  const tag = `t-${randomBytes(4).toString('hex')}`;
  const madeTags: string[] = [];
  let sourceId: string;

  beforeAll(async () => {
    await world.setup();
    registry = await RegistryProcess.start();
    runnerd = await world.runnerd();
    sourceId = (await world.engine.inspectImage(TEST_IMAGE)).Id;
  });
  afterAll(async () => {
    await world.teardown();
    // Names only: the test image itself keeps its own name.
    for (const name of madeTags) await world.engine.removeImage(name).catch(() => undefined);
    await registry?.stop();
  });

  async function localTags(): Promise<string[]> {
    const result = await runnerd.runctl(['-o', 'json', 'images']);
    return (JSON.parse(result.stdout) as ImageSummary[]).flatMap((image) => image.tags);
  }

  it('pushes an image, removes it locally, and pulls it back as the same image', async () => {
    const remote = `${registry.address}/minicore/busybox:${tag}`;
    madeTags.push(remote);
    expect((await runnerd.runctl(['tag', TEST_IMAGE, remote])).code).toBe(0);
    const push = await runnerd.runctl(['-o', 'json', 'push', remote], 60_000);
    expect(push.code, push.stderr).toBe(0);
    const pushed = JSON.parse(push.stdout) as TransferResponse;
    expect(pushed).toMatchObject({ reference: remote, id: sourceId });
    expect(pushed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await registry.tags('minicore/busybox')).toContain(tag);

    const rmi = await runnerd.runctl(['rmi', remote]);
    expect(rmi.code, rmi.stderr).toBe(0);
    expect(await localTags()).not.toContain(remote);

    const pull = await runnerd.runctl(['pull', remote], 60_000);
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stdout).toBe(`pulled ${remote}\n${sourceId}\n`);
    expect(await localTags()).toContain(remote);
    const ran = await runnerd.runctl(['run', '--attach', '--rm', remote, 'echo', 'from-the-registry']);
    expect(ran).toMatchObject({ code: 0, stdout: 'from-the-registry\n' });
  });

  it('moves plain names with --registry, keeping no registry-qualified name behind', async () => {
    const local = `minicore/busybox:${tag}-plain`;
    const remote = `${registry.address}/${local}`;
    madeTags.push(local, remote);
    expect((await runnerd.runctl(['tag', TEST_IMAGE, local])).code).toBe(0);
    const push = await runnerd.runctl(['push', '--registry', registry.address, local], 60_000);
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout).toMatch(new RegExp(`^pushed ${remote.replaceAll('.', '\\.')} \\(sha256:[0-9a-f]{64}\\)\\n`));
    expect(await localTags()).not.toContain(remote);
    expect(await registry.tags('minicore/busybox')).toContain(`${tag}-plain`);

    expect((await runnerd.runctl(['rmi', local])).code).toBe(0);
    const pull = await runnerd.runctl(['-o', 'json', 'pull', '--registry', registry.address, local], 60_000);
    expect(pull.code, pull.stderr).toBe(0);
    expect(JSON.parse(pull.stdout)).toMatchObject({ reference: remote, id: sourceId, tags: expect.arrayContaining([local]) as unknown });
    const tags = await localTags();
    expect(tags).toContain(local);
    expect(tags).not.toContain(remote);
  });

  it('names the image and the registry when something is wrong, and never goes to Docker Hub', async () => {
    const hub = await runnerd.runctl(['pull', 'minicore/busybox:latest']);
    expect(hub.code).toBe(1);
    expect(hub.stderr).toContain('cannot pull minicore/busybox:latest: name a registry');

    const missing = await runnerd.runctl(['pull', `${registry.address}/minicore/nothing-here:${tag}`], 30_000);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`cannot pull ${registry.address}/minicore/nothing-here:${tag} from ${registry.address}`);

    const notLocal = await runnerd.runctl(['push', `${registry.address}/minicore/never-built:${tag}`]);
    expect(notLocal.code).toBe(1);
    expect(notLocal.stderr).toContain(`no such image: ${registry.address}/minicore/never-built:${tag}`);

    const badRef = await runnerd.runctl(['push', '--registry', registry.address, 'Not/Valid']);
    expect(badRef.code).toBe(1);
    expect(badRef.stderr).toContain('invalid image reference "Not/Valid"');
  });
});
