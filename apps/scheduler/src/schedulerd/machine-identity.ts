import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import path from 'node:path';

const validId = /^[A-Za-z0-9_.-]+$/;

/** /etc/machine-id when the machine has one, else an id kept in the data folder (created once, 32 hex like systemd's). */
export async function defaultMachineId(dataDir: string, machineIdFile = '/etc/machine-id'): Promise<string> {
  const system = (await readFile(machineIdFile, 'utf8').catch(() => '')).trim();
  if (validId.test(system)) return system;
  const file = path.join(dataDir, 'machine-id');
  const kept = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (validId.test(kept)) return kept;
  const id = randomBytes(16).toString('hex');
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${id}\n`);
  return id;
}

/** fleet's default public IP: the first non-internal IPv4 address, else loopback. */
export function defaultPublicIp(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return '127.0.0.1';
}
