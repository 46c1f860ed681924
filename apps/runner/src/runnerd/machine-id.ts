import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';

/** systemd's /etc/machine-id when the machine has one (Vagrant and system-container machines do), else the host name. */
export async function defaultMachineId(file = '/etc/machine-id'): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const id = text.trim();
  return /^[A-Za-z0-9_.-]+$/.test(id) ? id : hostname().replace(/[^A-Za-z0-9_.-]/g, '-');
}
