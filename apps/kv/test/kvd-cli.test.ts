import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { KVD_MAIN } from '@minicore/kvd-testing';

const run = promisify(execFile);

async function kvd(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [KVD_MAIN, ...args], { timeout: 10_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('kvd command line', () => {
  it('prints --help with etcd\'s flag names and exits 0', async () => {
    const { code, stdout } = await kvd(['--help']);
    expect(code).toBe(0);
    for (const flag of ['--name', '--data-dir', '--listen-client-urls', '--initial-cluster-state', '--heartbeat-interval', '--snapshot-count', '--proxy']) {
      expect(stdout).toContain(flag);
    }
  });

  it('exits 2 naming the flag on bad input', async () => {
    const bad = await kvd(['--heartbeat-interval', 'often']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid --heartbeat-interval "often": expected an integer of at least 1 (ms)');
    const unknown = await kvd(['--lisen-client-urls', 'http://127.0.0.1:1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown option --lisen-client-urls');
  });

  it('exits 1 with the reason when --initial-cluster does not name this member', async () => {
    const { code, stderr } = await kvd(['--name', 'x', '--data-dir', '/tmp/kvd-cli-test-never', '--initial-cluster', 'y=http://127.0.0.1:1']);
    expect(code).toBe(1);
    expect(stderr).toContain('--initial-cluster has no member named "x"');
  });
});
