import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemdContainer } from '@minicore/systemd/testing';
import { waitUntil } from './support/machines.js';
import { schedctl } from './support/schedctl.js';
import { startSystemdNode, workspaceRoot } from './support/systemd-node.js';

// One whole Minicore machine with systemd as init: kvd and schedulerd (built, from dist) run inside
// a node container exactly as the vagrant provisioning starts them, schedulerd picks its backend on
// its own, and schedctl and the agent API are used from outside, as an operator would.
let node: SystemdContainer;
let endpoint: string;
let localDir: string;
const daemons: { name: string; child: ChildProcess; output: string }[] = [];

const schedulerdArgs = ['--kv-endpoints', 'http://127.0.0.1:2379', '--api-listen', '0.0.0.0:4002', '--data-dir', '/var/lib/minicore/scheduler', '--agent-ttl', '5s', '--agent-reconcile-interval', '500ms', '--engine-reconcile-interval', '300ms'];

/** A daemon in the node, its pid written to /run/<name>.pid so the test can signal exactly it. */
function startDaemon(name: string, main: string, args: string[]) {
  const child = node.spawn(['sh', '-c', `echo $$ > /run/${name}.pid; exec node "$0" "$@"`, path.join(workspaceRoot, main), ...args]);
  const daemon = { name, child, output: '' };
  child.stdout!.on('data', (chunk: Buffer) => (daemon.output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (daemon.output += chunk.toString()));
  daemons.push(daemon);
  return daemon;
}

async function startSchedulerd() {
  const daemon = startDaemon('schedulerd', 'apps/scheduler/dist/schedulerd/main.js', schedulerdArgs);
  await waitUntil('schedulerd API', async () => {
    if (daemon.child.exitCode !== null) throw new Error(`schedulerd exited:\n${daemon.output.slice(-3000)}`);
    // Ready once kv answers and the agent has registered the machine (kvd may still be starting).
    const response = await fetch(`${endpoint}/fleet/v1/machines`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
    return response?.ok && ((await response.json()) as { machines?: unknown[] }).machines?.length === 1;
  }, 30_000);
  return daemon;
}

async function systemctlShow(name: string, property: string): Promise<string> {
  return (await node.exec(['systemctl', 'show', '--property', property, '--value', name])).stdout.trim();
}

async function agentStatus(name: string) {
  const response = await fetch(`${endpoint}/minicore/v1/units/${name}/status`);
  expect(response.status).toBe(200);
  return (await response.json()) as { backend: string; machineID: string; mainPid?: number; state: { active: string; sub: string }; launched: boolean };
}

beforeAll(async () => {
  node = await startSystemdNode('minicore-schedulerd-systemd');
  endpoint = `http://${await node.ipAddress()}:4002`;
  localDir = await mkdtemp(path.join(tmpdir(), 'minicore-systemd-units-'));
  startDaemon('kvd', 'apps/kv/dist/kvd/main.js', ['--data-dir', '/var/lib/minicore/kv']);
  await startSchedulerd();
}, 120_000);

afterAll(async () => {
  await node?.remove();
  for (const daemon of daemons) daemon.child.kill();
  if (localDir) await rm(localDir, { recursive: true, force: true });
});

describe('schedulerd on a machine whose init is systemd', () => {
  it('picks the systemd backend, runs a unit started with schedctl, and reports it through fleet and agent APIs', async () => {
    const file = path.join(localDir, 'hello.service');
    await writeFile(file, "[Unit]\nDescription=hello\n\n[Service]\nExecStart=/bin/sh -c 'echo hello from the cluster; while true; do echo tick; sleep 0.3; done'\n");
    const started = await schedctl(endpoint, 'start', file);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);

    const machineId = (await node.exec(['cat', '/etc/machine-id'])).stdout.trim();
    const listed = await schedctl(endpoint, 'list-units', '--no-legend', '--full', '--fields', 'unit,load,active,sub,machine');
    expect(listed.stdout).toMatch(new RegExp(`^hello\\.service\\s+loaded\\s+active\\s+running\\s+${machineId}/`));
    expect(await systemctlShow('hello.service', 'ActiveState')).toBe('active');
    expect((await node.exec(['readlink', '/run/systemd/system/hello.service'])).stdout.trim()).toBe('/run/minicore/units/hello.service');

    const status = await agentStatus('hello.service');
    expect(status).toMatchObject({ backend: 'systemd', machineID: machineId, launched: true, state: { active: 'active', sub: 'running' } });
    expect(status.mainPid).toBe(Number(await systemctlShow('hello.service', 'MainPID')));
    await waitUntil('the unit journal', async () => {
      const journal = (await (await fetch(`${endpoint}/minicore/v1/units/hello.service/journal?lines=50`)).json()) as { lines: string[] };
      return journal.lines.includes('hello from the cluster');
    });
  });

  it('follows the journal (journal -f) as the unit logs', async () => {
    const stop = new AbortController();
    const response = await fetch(`${endpoint}/minicore/v1/units/hello.service/journal?lines=1&follow=true`, { signal: stop.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const lines: string[] = [];
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body!) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      lines.splice(0, lines.length, ...text.split('\n').slice(0, -1));
      // One line from before the request, then lines the unit writes while the request stays open.
      if (lines.length >= 4) break;
    }
    stop.abort();
    expect(lines.slice(1, 4)).toEqual(['tick', 'tick', 'tick']);
    // The follower's journalctl ends with the request.
    await waitUntil('journalctl -f to end', async () => !(await node.exec(['ps', '-eo', 'args'])).stdout.includes('journalctl'));
  });

  it('schedctl status and journal reach the unit\'s agent (at the public IP the machine registered)', async () => {
    const status = await schedctl(endpoint, 'status', 'hello');
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^● hello\.service - hello\n +Loaded: loaded \(systemd backend, unit hash [0-9a-f]{7}\)\n +Active: active \(running\) since /);
    expect(status.stdout).toMatch(new RegExp(`^ +Main PID: ${await systemctlShow('hello.service', 'MainPID')} \\(sh\\)$`, 'm'));
    const journal = await schedctl(endpoint, 'journal', '--lines', '2', 'hello.service');
    expect(journal.code).toBe(0);
    expect(journal.stdout).toBe('tick\ntick\n');
  });

  it('keeps the unit running across a schedulerd restart and adopts it', async () => {
    const pid = Number(await systemctlShow('hello.service', 'MainPID'));
    const current = daemons.find((daemon) => daemon.name === 'schedulerd' && daemon.child.exitCode === null)!;
    const exited = once(current.child, 'exit');
    await node.exec(['sh', '-c', 'kill -TERM "$(cat /run/schedulerd.pid)"']);
    await exited;
    expect(current.output).toMatch(/"msg":"stopped"/);
    expect(await systemctlShow('hello.service', 'MainPID')).toBe(String(pid));

    await startSchedulerd();
    expect(await agentStatus('hello.service')).toMatchObject({ mainPid: pid, launched: true, state: { active: 'active' } });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a few agent reconciles: none may restart it
    expect(await systemctlShow('hello.service', 'MainPID')).toBe(String(pid));
    expect(await systemctlShow('hello.service', 'NRestarts')).toBe('0');
  });

  it('destroys the unit: systemd stops it and forgets it', async () => {
    const destroyed = await schedctl(endpoint, 'destroy', 'hello.service');
    expect(destroyed.code).toBe(0);
    await waitUntil('hello.service gone from systemd', async () => (await systemctlShow('hello.service', 'LoadState')) === 'not-found', 20_000);
    expect(await systemctlShow('hello.service', 'ActiveState')).toBe('inactive');
    expect((await node.exec(['ls', '/run/minicore/units'])).stdout.trim()).toBe('');
  });
});
