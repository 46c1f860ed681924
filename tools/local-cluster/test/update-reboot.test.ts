import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * An update on the local cluster, for real: a release of this working tree published to the
 * launcher's update server; the machine's updaterd installs it into slot B, asks for a reboot, the
 * launcher powers the machine off and boots it, the boot selector picks B, and kvd then runs from
 * slot B's copy; updaterd marks B good and the server sees the update complete.
 */
const workspace = path.resolve(import.meta.dirname, '../../..');
const launcher = path.join(workspace, 'tools/local-cluster/dist/main.js');
const updatectl = path.join(workspace, 'apps/updater/bin/updatectl.js');
let work: string;
let child: ChildProcess | undefined;
let output = '';

function runNode(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const process_ = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  process_.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  process_.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return (once(process_, 'close') as Promise<[number | null]>).then(([code]) => ({ code, stdout, stderr }));
}

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (child?.exitCode !== null && child?.exitCode !== undefined) throw new Error(`the launcher exited while waiting for ${what}: ${output}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; launcher output:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The command lines of this machine's processes that run from `prefix`. */
async function processesRunningFrom(prefix: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(prefix)) found.push(cmdline.replaceAll('\0', ' ').trim());
  }
  return found;
}

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGINT');
    await once(child, 'exit');
  }
  if (work) await rm(work, { recursive: true, force: true });
});

describe('an update on the local cluster', () => {
  it('installs into slot B, reboots the machine into it, marks it good and reports the update complete', async () => {
    work = await mkdtemp(path.join(tmpdir(), 'minicore-update-reboot-'));
    const dataDir = path.join(work, 'data');
    await mkdir(dataDir);
    // The key the launcher's machines trust (it makes one on its first start when there is none).
    expect((await runNode(updatectl, ['keygen', '--out', path.join(dataDir, 'release.key')])).code).toBe(0);
    const bundle = path.join(work, 'minicore-9.0.0.mcr');
    const released = await runNode(path.join(workspace, 'tools/release/dist/main.js'), ['--version', '9.0.0', '--key', path.join(dataDir, 'release.key'), '--out', bundle, '--root', workspace]);
    expect(released.code, released.stderr).toBe(0);

    child = spawn(process.execPath, [launcher, '--machines', '1', '--data-dir', dataDir, '--quiet', '--first-update-check', '1s', '--update-check-interval', '3s', '--healthy-after', '2s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until('the cluster to run', () => (output.includes('Minicore is running') ? true : undefined), 120_000);
    // Slot A is the working tree: every daemon runs from it until the update.
    expect(await readlink(path.join(dataDir, 'core-1/slots/A'))).toBe(workspace);

    const token = (await readFile(path.join(dataDir, 'update-server/admin-token'), 'utf8')).trim();
    const env = { UPDATECTL_SERVER: 'http://127.0.0.10:4005', UPDATECTL_TOKEN: token };
    for (const args of [['release', 'upload', bundle], ['channel', 'create', 'stable', '9.0.0'], ['group', 'create', 'stable', '--channel', 'stable', '--track', 'stable', '--max-per-period', '5', '--enabled']]) {
      const outcome = await runNode(updatectl, args, env);
      expect(outcome.code, `updatectl ${args.join(' ')}: ${outcome.stderr}`).toBe(0);
    }

    await until('core-1 to reboot into slot B', () => (output.includes('core-1 is up again (slot B') ? true : undefined), 400_000);
    const slotB = path.join(dataDir, 'core-1/slots/B');
    expect(await readlink(path.join(dataDir, 'core-1/current'))).toBe(slotB);
    expect((await processesRunningFrom(`${slotB}/apps/kv/dist/kvd/main.js`)).length).toBe(1);
    expect((await processesRunningFrom(`${slotB}/apps/updater/dist/updaterd/main.js`)).length).toBeGreaterThanOrEqual(1);
    const put = await fetch('http://127.0.0.11:2379/v2/keys/after-update', { method: 'PUT', body: new URLSearchParams({ value: 'B' }) });
    expect(put.status).toBe(201);

    const record = async () => (JSON.parse(await readFile(path.join(dataDir, 'core-1/slots/boot-record.json'), 'utf8')) as { slots: Record<'A' | 'B', { successful: boolean; priority: number }> }).slots;
    await until('slot B to be marked good', async () => ((await record()).B.successful ? true : undefined), 60_000);
    expect((await record()).B.priority).toBeGreaterThan((await record()).A.priority);
    await until(
      'the server to see the update complete',
      async () => {
        const outcome = await runNode(updatectl, ['instances', '--output', 'json'], env);
        if (outcome.code !== 0) return undefined;
        const instances = JSON.parse(outcome.stdout) as { machineId: string; statusName: string; version: string }[];
        return instances.find((instance) => instance.machineId === 'core-1' && instance.statusName === 'Complete' && instance.version === '9.0.0');
      },
      60_000,
    );

    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  }, 600_000);
});
