import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type RunningServer } from './support/etcd.js';

/** The server under test: real etcd 3.4 with the v2 API for now; kvd takes its place here later. */
const startServer: () => Promise<RunningServer> = startEtcd;

const workspaceRoot = path.resolve(import.meta.dirname, '../../..');
const kvctlArgs = ['--conditions=development', '--import', 'tsx', 'apps/kv/src/kvctl/main.ts'];

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

/** Starts the real kvctl process against the server under test. */
function start(args: readonly string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [...kvctlArgs, ...args], {
    cwd: workspaceRoot,
    env: { ...process.env, KVCTL_ENDPOINTS: server.endpoint, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  void exit.then(() => clearTimeout(killer));
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

async function kvctl(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const running = start(args);
  const code = await running.exit;
  return { code, stdout: running.stdout(), stderr: running.stderr() };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('kvctl key commands', () => {
  it('set, get in the three formats, and the etcdctl error line with exit code 1', async () => {
    expect(await kvctl('set', '/cli/foo', 'bar')).toMatchObject({ code: 0, stdout: 'bar\n' });
    expect(await kvctl('get', '/cli/foo')).toMatchObject({ code: 0, stdout: 'bar\n' });
    const extended = await kvctl('-o', 'extended', 'get', '/cli/foo');
    expect(extended.stdout).toMatch(/^Key: \/cli\/foo\nCreated-Index: \d+\nModified-Index: \d+\nTTL: 0\nIndex: \d+\n\nbar\n$/);
    const json = await kvctl('--output', 'json', 'get', '/cli/foo');
    expect(JSON.parse(json.stdout)).toMatchObject({ action: 'get', node: { key: '/cli/foo', value: 'bar' } });
    const missing = await kvctl('get', '/cli/nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^Error: {2}100: Key not found \(\/cli\/nope\) \[\d+\]\n$/);
  });

  it('exits 2 on usage errors', async () => {
    expect((await kvctl('get')).code).toBe(2);
    expect((await kvctl('set', '/a', 'b', '--ttl', 'soon')).code).toBe(2);
    expect((await kvctl('--output', 'xml', 'get', '/a')).code).toBe(2);
    expect((await kvctl('frobnicate')).code).toBe(2);
  });

  it('swaps, makes, updates and removes with etcdctl\'s conditions and output', async () => {
    await kvctl('set', '/cli/s', 'one');
    const failed = await kvctl('set', '/cli/s', 'two', '--swap-with-value', 'nope');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^Error: {2}101: Compare failed \(\[nope != one\]\) \[\d+\]/);
    expect(await kvctl('set', '/cli/s', 'two', '--swap-with-value', 'one')).toMatchObject({ code: 0, stdout: 'two\n' });
    expect((await kvctl('mk', '/cli/s', 'x')).stderr).toMatch(/^Error: {2}105: Key already exists/);
    expect(await kvctl('mk', '/cli/m', 'made', '--ttl', '100')).toMatchObject({ code: 0, stdout: 'made\n' });
    expect(await kvctl('update', '/cli/m', 'changed')).toMatchObject({ code: 0, stdout: 'changed\n' });
    expect((await kvctl('update', '/cli/absent', 'x')).code).toBe(1);
    // compareAndDelete is not "delete" to etcdctl's printer: it prints the (empty) node value, and so do we.
    expect(await kvctl('rm', '/cli/m', '--with-value', 'changed')).toMatchObject({ code: 0, stdout: '\n' });
    await kvctl('set', '/cli/m2', 'last');
    expect(await kvctl('rm', '/cli/m2')).toMatchObject({ code: 0, stdout: 'PrevNode.Value: last\n' });
    const queued = await kvctl('-o', 'extended', 'mk', '--in-order', '/cli/queue', 'job');
    expect(queued.stdout).toMatch(/^Key: \/cli\/queue\/\d{20}\n/);
  });

  it('makes, lists and removes directories', async () => {
    expect(await kvctl('mkdir', '/cli/d')).toMatchObject({ code: 0, stdout: '' });
    await kvctl('set', '/cli/d/a', '1');
    await kvctl('mkdir', '/cli/d/sub');
    expect((await kvctl('ls', '--sort', '/cli/d')).stdout).toBe('/cli/d/a\n/cli/d/sub\n');
    expect((await kvctl('ls', '--sort', '-r', '-p', '/cli/d')).stdout).toBe('/cli/d/a\n/cli/d/sub/\n');
    const dir = await kvctl('get', '/cli/d');
    expect(dir).toMatchObject({ code: 1, stderr: '/cli/d: is a directory\n' });
    expect((await kvctl('rmdir', '/cli/d')).stderr).toMatch(/^Error: {2}108: Directory not empty/);
    expect(await kvctl('setdir', '/cli/d2', '--ttl', '100')).toMatchObject({ code: 0, stdout: '' });
    expect(JSON.parse((await kvctl('-o', 'json', 'updatedir', '/cli/d2', '--ttl', '200')).stdout)).toMatchObject({ action: 'update', node: { dir: true, ttl: 200 } });
    expect(await kvctl('rmdir', '/cli/d2')).toMatchObject({ code: 0, stdout: '' });
    expect(await kvctl('rm', '-r', '/cli/d')).toMatchObject({ code: 0, stdout: '' });
  });

  it('fails over to a live endpoint, and reports every endpoint when none answers', async () => {
    await kvctl('set', '/cli/fo', 'ok');
    expect(await kvctl('--endpoints', `http://127.0.0.1:2,${server.endpoint}`, 'get', '/cli/fo')).toMatchObject({ code: 0, stdout: 'ok\n' });
    const down = await kvctl('--endpoints', 'http://127.0.0.1:2', '--timeout', '500ms', 'get', '/cli/fo');
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^Error: {2}client: etcd cluster is unavailable or misconfigured; error #0: http:\/\/127\.0\.0\.1:2: ECONNREFUSED/);
  });
});

describe('kvctl watch and exec-watch', () => {
  it('watch prints one change and exits; -r prefixes the action and key', async () => {
    const watching = start(['watch', '-r', '/cli/w']);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await kvctl('set', '/cli/w/a', 'v1');
    expect(await watching.exit).toBe(0);
    expect(watching.stdout()).toBe('[set] /cli/w/a\nv1\n');
  });

  it('watch --forever --after-index replays history and follows until SIGINT', async () => {
    const first = JSON.parse((await kvctl('-o', 'json', 'set', '/cli/f', 'a')).stdout) as { node: { modifiedIndex: number } };
    await kvctl('set', '/cli/f', 'b');
    const watching = start(['watch', '--forever', '--after-index', String(first.node.modifiedIndex - 1), '/cli/f']);
    await until(() => watching.stdout() === 'a\nb\n', 'the replayed changes');
    await kvctl('rm', '/cli/f');
    await until(() => watching.stdout() === 'a\nb\nPrevNode.Value: b\n', 'the delete');
    watching.child.kill('SIGINT');
    expect(await watching.exit).toBe(0);
  });

  it('exec-watch runs the command with ETCD_WATCH_* in its environment', async () => {
    const first = JSON.parse((await kvctl('-o', 'json', 'set', '/cli/x/k', 'v1')).stdout) as { node: { modifiedIndex: number } };
    const watching = start(['exec-watch', '-r', '--after-index', String(first.node.modifiedIndex - 1), '/cli/x', '--', 'sh', '-c', 'echo "$ETCD_WATCH_ACTION $ETCD_WATCH_KEY $ETCD_WATCH_VALUE $ETCD_WATCH_MODIFIED_INDEX"']);
    await until(() => watching.stdout().includes('set /cli/x/k v1'), 'the command to run');
    expect(watching.stdout()).toBe(`set /cli/x/k v1 ${first.node.modifiedIndex}\n`);
    watching.child.kill('SIGTERM');
    expect(await watching.exit).toBe(0);
  });
});

describe('kvctl member and cluster-health', () => {
  it('lists members, reports health, and passes member API errors on', async () => {
    const list = await kvctl('member', 'list');
    expect(list.stdout).toMatch(new RegExp(`^[0-9a-f]+: name=t peerURLs=http://127\\.0\\.0\\.1:\\d+ clientURLs=${server.endpoint.replaceAll('.', '\\.')} isLeader=true\\n$`));
    const id = list.stdout.split(':')[0] as string;
    const peer = /peerURLs=(\S+)/.exec(list.stdout)?.[1] as string;
    expect(await kvctl('member', 'update', id, peer)).toMatchObject({ code: 0, stdout: `Updated member with ID ${id} in cluster\n` });
    const duplicate = await kvctl('member', 'add', 'again', peer);
    expect(duplicate).toMatchObject({ code: 1, stderr: 'Error:  membership: peerURL exists\n' });
    expect((await kvctl('member', 'remove', '123')).stderr).toBe('Error:  No such member: 123\n');
    expect(await kvctl('cluster-health')).toMatchObject({ code: 0, stdout: `member ${id} is healthy: got healthy result from ${server.endpoint}\ncluster is healthy\n` });
  });
});

describe('kvctl lock and elect', () => {
  it('lock runs the command under the mutex, passes its exit code on, and removes its key', async () => {
    expect(await kvctl('lock', 'job', '--ttl', '5', '--', 'sh', '-c', 'echo locked; exit 3')).toMatchObject({ code: 3, stdout: 'locked\n' });
    expect((await kvctl('ls', '/_minicore/locks/job')).stdout).toBe('');
  });

  it('a second lock waits for the first holder', async () => {
    const holder = start(['lock', 'serial', '--', 'sh', '-c', 'echo first; sleep 2; echo first done']);
    await until(() => holder.stdout().includes('first\n'), 'the first holder');
    const waiter = start(['lock', 'serial', '--', 'sh', '-c', 'echo second']);
    const [holderCode, waiterCode] = await Promise.all([holder.exit, waiter.exit]);
    expect([holderCode, waiterCode]).toEqual([0, 0]);
    expect(holder.stdout()).toBe('first\nfirst done\n');
    expect(waiter.stdout()).toBe('second\n');
  });

  it('SIGTERM stops the locked command and removes the key', async () => {
    const holder = start(['lock', 'stopme', '--', 'sleep', '20']);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await kvctl('ls', '/_minicore/locks/stopme')).stdout).toMatch(/^\/_minicore\/locks\/stopme\/\d{20}\n$/);
    holder.child.kill('SIGTERM');
    expect(await holder.exit).toBe(143);
    expect((await kvctl('ls', '/_minicore/locks/stopme')).stdout).toBe('');
  });

  it('elect prints the leader; --listen follows changes; the next candidate leads after a resign', async () => {
    const listener = start(['elect', 'sched', '--listen']);
    const a = start(['elect', 'sched', '--ttl', '5', 'node-a']);
    await until(() => a.stdout() === 'node-a\n', 'node-a to lead');
    const b = start(['elect', 'sched', '--ttl', '5', 'node-b']);
    await until(() => b.stdout() === 'node-a\n', 'node-b to see node-a');
    a.child.kill('SIGINT');
    expect(await a.exit).toBe(0);
    await until(() => b.stdout() === 'node-a\nnode-b\n', 'node-b to lead');
    await until(() => listener.stdout() === 'node-a\nnode-b\n', 'the listener to follow');
    b.child.kill('SIGINT');
    listener.child.kill('SIGINT');
    expect(await b.exit).toBe(0);
    expect(await listener.exit).toBe(0);
  });

  it('--help works on the program and on a command', async () => {
    const help = await kvctl('--help');
    expect(help.code).toBe(0);
    for (const command of ['get', 'set', 'mk', 'mkdir', 'rm', 'rmdir', 'ls', 'update', 'updatedir', 'setdir', 'watch', 'exec-watch', 'member', 'cluster-health', 'lock', 'elect']) {
      expect(help.stdout).toContain(`  ${command} `);
    }
    expect((await kvctl('set', '--help')).stdout).toContain('--swap-with-value <value>');
  });
});
