// Scenario 2 (runner), first part: a container started on core-2 through runctl runs in core-2's own
// Docker engine, and in no other machine's.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterUnderTest, type ClusterMachine } from '../src/cluster.js';
import { runCommand } from '../src/run-command.js';
import { runctl } from '../src/runner.js';
import { waitFor } from '../src/wait.js';

const cluster = clusterUnderTest();
const machines = cluster.machines as [ClusterMachine, ClusterMachine, ...ClusterMachine[]];
const target = machines[1];
const others = machines.filter((machine) => machine !== target);
// The busybox test image of the host's engine (tools/test-image), imported into the machine's engine.
const image = 'minicore/busybox:latest';
const name = `e2e-smoke-${randomUUID().slice(0, 8)}`;
let work = '';

describe.skipIf(cluster.kind !== 'vagrant')(`runner on the ${cluster.kind} cluster`, () => {
  beforeAll(async () => {
    await waitFor(`runnerd on ${target.name}`, async () => ((await runctl(target, ['ps'])) ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
    work = await mkdtemp(path.join(tmpdir(), 'minicore-e2e-'));
    const rootfs = path.join(work, 'busybox.tar');
    const created = (await runCommand('docker', ['create', image, 'true'])).stdout.trim();
    try {
      await runCommand('docker', ['export', '-o', rootfs, created]);
    } finally {
      await runCommand('docker', ['rm', created]);
    }
    await runctl(target, ['import', rootfs, image]);
  });

  afterAll(async () => {
    await runctl(target, ['rm', '-f', name]).catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it(`runs a container started through runctl on ${target.name} in ${target.name}'s engine only`, async () => {
    const id = (await runctl(target, ['run', '--name', name, image, 'sleep', '600'])).trim();
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
});
