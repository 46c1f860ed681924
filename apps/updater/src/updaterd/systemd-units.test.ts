import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootConfig, daemonConfig } from './config.js';

/**
 * The unit templates provisioning installs (apps/updater/systemd/): their command lines must be
 * ones updaterd accepts, with the machine.env values provisioning writes, and the updaterd unit
 * must keep the low-priority settings.
 */
const unitsDir = path.resolve(import.meta.dirname, '../../systemd');

async function unit(name: string): Promise<{ text: string; execStart: string[] }> {
  const text = await readFile(path.join(unitsDir, name), 'utf8');
  const joined = text.replace(/\\\n\s*/g, ' ');
  const line = joined.split('\n').find((l) => l.startsWith('ExecStart='));
  if (!line) throw new Error(`${name} has no ExecStart`);
  return { text, execStart: line.slice('ExecStart='.length).trim().split(/\s+/) };
}

describe('systemd unit templates', () => {
  it('minicore-boot.service runs the boot selector copied out of the release, before the daemons', async () => {
    const { text, execStart } = await unit('minicore-boot.service');
    expect(execStart.slice(0, 2)).toEqual(['/usr/local/bin/node', '/opt/minicore/boot/updaterd-boot.mjs']);
    expect(bootConfig.parse(execStart.slice(2), {})).toMatchObject({ kind: 'config', config: { slotsDir: '/opt/minicore/slots', currentLink: '/opt/minicore/current' } });
    expect(text).toMatch(/^Type=oneshot$/m);
    expect(text).toMatch(/^RemainAfterExit=yes$/m);
    expect(text).toMatch(/^Before=.*minicore-kvd\.service.*minicore-updaterd\.service/m);
  });

  it('minicore-updaterd.service runs updaterd from the booted slot at low CPU and I/O priority', async () => {
    const { text, execStart } = await unit('minicore-updaterd.service');
    expect(execStart.slice(0, 2)).toEqual(['/usr/local/bin/node', '/opt/minicore/current/apps/updater/dist/updaterd/main.js']);
    const argv = execStart.slice(2);
    expect(daemonConfig.parse(argv, {})).toMatchObject({ kind: 'config', config: { slotsDir: '/opt/minicore/slots', trustedKey: '/etc/minicore/release.pub', server: '', installPriority: 'idle' } });
    // What the template's comment says provisioning puts in /etc/minicore/updaterd.env.
    const env = Object.fromEntries(
      [...text.matchAll(/^#\s+(UPDATERD_\w+)=("[^"]*"|\S+)/gm)].map((match) => [match[1]!, match[2]!.replace(/^"|"$/g, '')]),
    );
    expect(Object.keys(env)).toContain('UPDATERD_MAX_DOWNLOAD_RATE');
    expect(daemonConfig.parse(argv, env)).toMatchObject({
      kind: 'config',
      config: { server: 'http://10.77.0.11:4005/v1/update/', track: 'stable', machineId: 'core-1', rebootStrategy: 'etcd-lock', maxDownloadRate: '10M', rebootWindowStart: 'Sun 03:00' },
    });
    expect(text).toMatch(/^CPUWeight=\d+$/m);
    expect(text).toMatch(/^IOWeight=\d+$/m);
    expect(text).toMatch(/^IOSchedulingClass=idle$/m);
    expect(text).toMatch(/^Requires=minicore-boot\.service$/m);
  });
});
