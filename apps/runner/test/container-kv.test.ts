import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvClient } from '@minicore/kv-client';
import { KvdCluster, kvdBuilt } from '@minicore/kvd-testing';
import { TEST_IMAGE, noEngine, skipMessage } from './support/engine.js';
import { RunnerWorld, waitFor, type RunnerdProcess } from './support/harness.js';

describe.skipIf(noEngine || !kvdBuilt)(`containers reach the machine's kv (${kvdBuilt ? skipMessage : 'needs the built kvd: nx build @minicore/kv'})`, () => {
  const world = new RunnerWorld();
  let kvd: KvdCluster;
  let kv: KvClient;
  let runnerd: RunnerdProcess;
  let bridge: string;

  beforeAll(async () => {
    await world.setup();
    // One member, its data on tmpfs, taking writes before runnerd starts.
    kvd = await KvdCluster.start(1, { logLevel: 'warn', waitWritable: true, dataRoot: process.platform === 'linux' ? '/dev/shm' : undefined });
    kv = new KvClient({ endpoints: kvd.endpoints, timeoutMs: 2000 });
    bridge = await world.engine.networkGateway('bridge');
    runnerd = await world.runnerd(['--kv-endpoints', kvd.endpointList]);
  });
  afterAll(async () => {
    await world.teardown();
    await kvd?.destroy();
  });

  it('gives every container KV_ENDPOINT and ETCDCTL_ENDPOINTS on the bridge, where it reads and writes kv', async () => {
    await kv.set('/runner-test/greeting', 'hello-from-the-host');
    const script = [
      'echo "endpoint=$KV_ENDPOINT etcdctl=$ETCDCTL_ENDPOINTS"',
      'wget -q -O - "$KV_ENDPOINT/v2/keys/runner-test/greeting"; echo',
      // busybox wget can POST, not PUT: an in-order key is a write all the same.
      'wget -q -O - --post-data "value=hello-from-the-container" "$KV_ENDPOINT/v2/keys/runner-test/inbox"',
    ].join('; ');
    const run = await runnerd.runctl(['run', '--attach', '--name', world.name('client'), TEST_IMAGE, 'sh', '-c', script], 30_000);
    expect(run.code, run.stderr).toBe(0);
    const [first, read] = run.stdout.split('\n');
    const endpoint = /^endpoint=(\S+) /.exec(first ?? '')?.[1] ?? '';
    expect(endpoint).toMatch(new RegExp(`^http://${bridge.replaceAll('.', '\\.')}:\\d+$`));
    expect(first).toBe(`endpoint=${endpoint} etcdctl=${endpoint}`);
    expect(JSON.parse(read ?? '')).toMatchObject({ action: 'get', node: { key: '/runner-test/greeting', value: 'hello-from-the-host' } });
    const inbox = await kv.get('/runner-test/inbox', { recursive: true });
    expect(inbox.node.nodes?.map((node) => node.value)).toEqual(['hello-from-the-container']);
  });

  it('passes long polls (watches) through, and an explicit -e KV_ENDPOINT wins', async () => {
    const name = world.name('watcher');
    const run = await runnerd.runctl(['run', '--name', name, TEST_IMAGE, 'sh', '-c', 'wget -q -O - "$KV_ENDPOINT/v2/keys/runner-test/signal?wait=true"; echo; echo watched']);
    expect(run.code, run.stderr).toBe(0);
    // Give the watch time to be in place (kvd answers a watch only with changes after it).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await kv.set('/runner-test/signal', 'go');
    const logs = await waitFor('the watch to fire inside the container', async () => {
      const out = (await runnerd.runctl(['logs', name])).stdout;
      return out.includes('watched') ? out : undefined;
    }, 10_000);
    expect(JSON.parse(logs.split('\n')[0] ?? '')).toMatchObject({ action: 'set', node: { key: '/runner-test/signal', value: 'go' } });

    const own = await runnerd.runctl(['run', '--attach', '--rm', '-e', 'KV_ENDPOINT=http://kv.example:2379', TEST_IMAGE, 'sh', '-c', 'echo "$KV_ENDPOINT $ETCDCTL_ENDPOINTS"']);
    expect(own.stdout).toMatch(/^http:\/\/kv\.example:2379 http:\/\/[\d.]+:\d+\n$/);
  });
});
