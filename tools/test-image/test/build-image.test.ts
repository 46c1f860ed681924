import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = path.resolve(import.meta.dirname, '../build-image.sh');

async function engineReason(): Promise<string | undefined> {
  try {
    await run('docker', ['info'], { timeout: 10_000 });
    return undefined;
  } catch (error) {
    return `no Docker engine answers \`docker info\` (${(error as Error).message.split('\n')[0]}); start one with tools/ci/start-dockerd.sh`;
  }
}
const reason = await engineReason();
if (reason && process.env['CI'] === 'true') throw new Error(`the test image build needs a Docker engine under CI: ${reason}`);

describe.skipIf(reason !== undefined)(`build-image.sh (${reason ?? 'Docker engine'})`, () => {
  it('builds minicore/busybox:latest once, then finds it, and the image runs busybox applets', async () => {
    const first = await run('bash', [script], { timeout: 60_000 });
    expect(first.stdout).toMatch(/test image: (built|minicore\/busybox:latest already exists)/);
    const again = await run('bash', [script], { timeout: 60_000 });
    expect(again.stdout).toBe('test image: minicore/busybox:latest already exists\n');
    const output = await run('docker', ['run', '--rm', '--label', 'io.minicore.test=test-image', 'minicore/busybox:latest', 'sh', '-c', 'echo ok; for a in sleep cat env wget nc httpd true false; do command -v $a >/dev/null || echo missing $a; done'], { timeout: 30_000 });
    expect(output.stdout).toBe('ok\n');
  }, 120_000);
});
