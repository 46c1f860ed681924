import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '@minicore/log';
import { parseUnitFile, unitHash } from '@minicore/unit-file';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExecBackend, followLogFile } from './exec-backend.js';

const logger = createLogger({ name: 'test', level: 'silent' });
let dir: string;
const backends: ExecBackend[] = [];

function backend(): ExecBackend {
  const created = new ExecBackend({ dataDir: dir, logger, stopTimeoutMs: 2000, adoptedPollMs: 50 });
  backends.push(created);
  return created;
}

async function until(what: string, probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function load(exec: ExecBackend, name: string, text: string): Promise<void> {
  const options = parseUnitFile(text);
  await exec.load(name, options, unitHash(options));
}

const alive = (pid: number | undefined) => {
  try {
    return pid !== undefined && process.kill(pid, 0);
  } catch {
    return false;
  }
};

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'exec-backend-'));
});

afterEach(async () => {
  for (const exec of backends.splice(0)) {
    for (const unit of exec.list()) await exec.unload(unit.name);
    await exec.close();
  }
  await rm(dir, { recursive: true, force: true });
});

describe('the exec backend', () => {
  it('runs ExecStart, keeps its output as the journal, and reports systemd states', async () => {
    const exec = backend();
    await exec.init();
    await load(exec, 'echo.service', '[Service]\nExecStart=/bin/sh -c "echo hello from %n; exit 0"\n');
    expect(exec.list()[0]?.state).toEqual({ load: 'loaded', active: 'inactive', sub: 'dead' });
    await exec.start('echo.service');
    await until('exit', () => exec.status('echo.service')?.lastExit !== undefined);
    expect(exec.status('echo.service')).toMatchObject({ state: { active: 'inactive', sub: 'dead' }, lastExit: 'code=exited, status=0', launched: true });
    expect((await exec.journal('echo.service', 10)).join('\n')).toContain('hello from echo.service');
  });

  it('Restart=no: a failing process leaves the unit failed; Restart=on-failure restarts it', async () => {
    const exec = backend();
    await exec.init();
    await load(exec, 'fail.service', '[Service]\nExecStart=/bin/sh -c "exit 3"\n');
    await load(exec, 'retry.service', '[Service]\nExecStart=/bin/sh -c "exit 3"\nRestart=on-failure\nRestartSec=50ms\n');
    await exec.start('fail.service');
    await exec.start('retry.service');
    await until('failed', () => exec.status('fail.service')?.state.active === 'failed');
    expect(exec.status('fail.service')?.lastExit).toBe('code=exited, status=3');
    await until('restarts', () => (exec.status('retry.service')?.restarts ?? 0) >= 2);
    await exec.stop('retry.service');
    expect(exec.status('retry.service')?.state).toEqual({ load: 'loaded', active: 'inactive', sub: 'dead' });
  });

  it('stop ends the whole process group', async () => {
    const exec = backend();
    await exec.init();
    await load(exec, 'tree.service', '[Service]\nExecStart=/bin/sh -c "sleep 1000 & sleep 1000"\n');
    await exec.start('tree.service');
    const pid = exec.status('tree.service')?.mainPid;
    expect(alive(pid)).toBe(true);
    await exec.stop('tree.service');
    await until('group gone', () => !alive(pid));
    expect(exec.status('tree.service')?.state.active).toBe('inactive');
  });

  it('a new backend on the same folder adopts running processes and still supervises them', async () => {
    const first = backend();
    await first.init();
    await load(first, 'long.service', '[Service]\nExecStart=/bin/sleep 1000\nRestart=always\nRestartSec=50ms\n');
    await first.start('long.service');
    const pid = first.status('long.service')!.mainPid!;
    await first.close();
    backends.splice(backends.indexOf(first), 1);

    const second = backend();
    await second.init();
    expect(second.status('long.service')).toMatchObject({ mainPid: pid, launched: true, state: { active: 'active', sub: 'running' } });
    // Killing the adopted process: the new backend notices (by polling) and applies Restart=always.
    process.kill(-pid, 'SIGKILL');
    await until('restarted after adoption', () => {
      const now = second.status('long.service')?.mainPid;
      return now !== undefined && now !== pid;
    });
    expect(second.status('long.service')?.restarts).toBe(1);
  });

  it('a unit without ExecStart fails to start with the reason in its journal', async () => {
    const exec = backend();
    await exec.init();
    await load(exec, 'empty.service', '[Unit]\nDescription=nothing\n');
    await exec.start('empty.service');
    expect(exec.status('empty.service')?.state.active).toBe('failed');
    expect((await exec.journal('empty.service', 5)).join('\n')).toContain('has no ExecStart');
  });

  it('follows a unit\'s log (journal -f): the last lines, then each line the process writes, until aborted', async () => {
    const exec = backend();
    await exec.init();
    const marker = path.join(dir, 'go');
    // Three lines at once, then one more only once the test creates the marker file.
    await load(exec, 'talk.service', `[Service]\nExecStart=/bin/sh -c 'echo one; echo two; echo three; while [ ! -e ${marker} ]; do sleep 0.05; done; echo four; sleep 1000'\n`);
    await exec.start('talk.service');
    const deadline = Date.now() + 5000;
    while (!(await exec.journal('talk.service', 10)).includes('three') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));

    const stop = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const line of exec.followJournal('talk.service', 2, stop.signal)) {
        seen.push(line);
        if (line === 'two' || line === 'three') continue;
        if (line === 'four') stop.abort();
      }
    })();
    await until('the last two lines', () => seen.length >= 2);
    expect(seen).toEqual(['two', 'three']);
    await writeFile(marker, '');
    await following; // ends once aborted after "four"
    expect(seen).toEqual(['two', 'three', 'four']);
  });

  it('a followed log file: a partial line waits for its newline, and a replaced file is read from its start', async () => {
    const file = path.join(dir, 'log');
    await writeFile(file, 'a\nb\npart');
    const stop = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const line of followLogFile(file, 10, stop.signal, 20)) seen.push(line);
    })();
    await until('the complete lines', () => seen.length >= 2);
    await appendFile(file, 'ial\n');
    await until('the completed line', () => seen.length >= 3);
    await rm(file);
    await writeFile(file, 'fresh\n');
    await until('the new file', () => seen.length >= 4);
    stop.abort();
    await following;
    expect(seen).toEqual(['a', 'b', 'partial', 'fresh']);
  });
});
