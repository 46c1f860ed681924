import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runctl } from './clis.js';
import type { ClusterMachine } from './cluster.js';
import { runCommand } from './run-command.js';

/** The busybox test image of the host's engine (tools/ci/build-test-image.sh). */
export const testImage = 'minicore/busybox:latest';

/**
 * Puts the test image into each machine's own engine, where it is missing: images cannot be pulled,
 * so its root filesystem is exported from the host's engine and imported through runctl.
 */
export async function importTestImage(machines: readonly ClusterMachine[]): Promise<void> {
  const missing: ClusterMachine[] = [];
  for (const machine of machines) if (!(await runctl(machine, ['images'])).includes(testImage)) missing.push(machine);
  if (missing.length === 0) return;
  const work = await mkdtemp(path.join(tmpdir(), 'minicore-e2e-'));
  try {
    const rootfs = path.join(work, 'busybox.tar');
    const created = (await runCommand('docker', ['create', testImage, 'true'])).stdout.trim();
    try {
      await runCommand('docker', ['export', '-o', rootfs, created]);
    } finally {
      await runCommand('docker', ['rm', created]);
    }
    await Promise.all(missing.map((machine) => runctl(machine, ['import', rootfs, testImage])));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
