import fs from 'node:fs';
import path from 'node:path';
import { runCommand, vagrantStateDir } from './cluster.js';
import type { Machines } from './machines.js';

/**
 * The full-disk fault, from this host's side. When tools/scripts/chaos.sh booted the cluster with
 * kv disks (e2e/chaos/kv-disks.sh), each machine's kvd data dir is a small ext4 filesystem on a loop
 * device, mounted here at <dir>/<machine> and bind-mounted into the machine at KV_DATA_DIR (so it
 * survives the machine's reboots). Filling it from here is the same as filling it from inside.
 */
export const KV_DISK_DIR = process.env['MINICORE_KV_DISK_DIR'] || path.join(vagrantStateDir, 'kv-disks');
const KV_DATA_DIR = '/var/lib/minicore/kv';
/** In the filesystem's root, beside kvd's files (kvd never lists its data dir). */
const FILLER = '.chaos-disk-full';

export const hostMount = (name: string) => path.join(KV_DISK_DIR, name);
const fillerOf = (name: string) => path.join(hostMount(name), FILLER);

function isMountPoint(dir: string): boolean {
  try {
    return fs.statSync(dir).dev !== fs.statSync(path.dirname(dir)).dev;
  } catch {
    return false;
  }
}

/**
 * Why full disks cannot be injected on this cluster, or undefined when they can: every machine's
 * host mount is a filesystem of its own, and the machine's kv data dir is that same filesystem (its
 * block count and free blocks, as the machine sees them, match the host's view).
 */
export async function kvDisksUnavailable(machines: Machines): Promise<string | undefined> {
  for (const name of machines.names) {
    const dir = hostMount(name);
    if (!isMountPoint(dir)) return `${dir} is not a mounted filesystem (boot the cluster through tools/scripts/chaos.sh with MINICORE_CHAOS_KV_DISK_MB > 0)`;
    const host = fs.statfsSync(dir);
    let inside: string;
    try {
      inside = (await machines.exec(name, `stat -f -c '%b' ${KV_DATA_DIR}`)).trim();
    } catch (error) {
      return `${name}: ${(error as Error).message.split('\n')[0]}`;
    }
    if (Number(inside) !== host.blocks) return `${name}'s ${KV_DATA_DIR} is not its host disk ${dir} (${inside} blocks inside, ${host.blocks} here)`;
  }
  return undefined;
}

/** Fills the machine's kv filesystem to its last byte; resolves the bytes written. */
export async function fillKvDisk(name: string): Promise<number> {
  const file = fillerOf(name);
  const { bavail, bsize } = fs.statfsSync(hostMount(name));
  // The bulk at once (fallocate allocates real blocks on ext4), a little below the free space: the
  // filesystem's own metadata needs some; then 4 KiB at a time until ENOSPC.
  const bulk = Math.max(0, bavail * bsize - 4 * 1024 * 1024);
  if (bulk > 0) await runCommand('fallocate', ['-l', String(bulk), file]);
  const chunk = Buffer.alloc(4096, 0x2e);
  const fd = fs.openSync(file, 'a');
  let written = bulk;
  try {
    for (;;) {
      try {
        written += fs.writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw error;
      }
    }
    // ext4's delayed allocation: make the blocks real now, and a last write attempt that must fail.
    try {
      fs.fsyncSync(fd);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    }
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

/** Deletes the filler (the mount's `discard` gives the blocks back to the image file's host disk too). */
export function freeKvDisk(name: string): void {
  fs.rmSync(fillerOf(name), { force: true });
}

/** Every machine's filler deleted, wherever one was left (heal-all). */
export function freeAllKvDisks(names: readonly string[]): void {
  for (const name of names) if (isMountPoint(hostMount(name))) freeKvDisk(name);
}

/** kvd's restart count on the machine (systemd's NRestarts), or undefined when the machine does not answer. */
export async function kvdRestarts(machines: Machines, name: string): Promise<number | undefined> {
  try {
    const value = Number((await machines.exec(name, 'systemctl show -p NRestarts --value minicore-kvd', 5_000)).trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** ms until the machine's kvd answers /health as healthy, or undefined after `timeoutMs`. */
export async function kvdHealthyAfter(url: string, timeoutMs: number): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      const health = ((await response.json()) as { health?: string | boolean }).health;
      if (response.ok && (health === true || health === 'true')) return Date.now() - started;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return undefined;
}
