import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { mkdir, open, readFile, readdir, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@minicore/log';
import { parseUnitFile, serializeUnitFile, type UnitOption } from '@minicore/unit-file';
import type { BackendUnit, BackendUnitStatus, UnitBackend, UnitSystemdState } from './backend.js';
import { describeOutcome, execPlan, shouldRestart, succeeded, type ExecPlan, type RunOutcome } from './exec-command.js';
import { processAlive, processStartTime } from './process-info.js';

/**
 * The wrapper each unit's command runs under: a shell that is the process group leader, runs the
 * command as its child and records its exit status in a file, so that a schedulerd started later
 * (the process is not its child any more) still learns how the run ended.
 */
const wrapperScript = '"$@"; echo $? > "$0"';

interface RunRecord {
  pid: number;
  startTime: string | undefined;
  startedAt: string;
}

interface MetaRecord {
  hash: string;
  launched: boolean;
  restarts: number;
}

interface ExecUnit {
  name: string;
  hash: string;
  options: UnitOption[];
  launched: boolean;
  state: UnitSystemdState;
  since: string;
  restarts: number;
  lastExit: string | undefined;
  run: RunRecord | undefined;
  child: ChildProcess | undefined;
  poll: NodeJS.Timeout | undefined;
  restartTimer: NodeJS.Timeout | undefined;
  stopping: boolean;
  exited: (() => void)[];
}

const states = {
  idle: { load: 'loaded', active: 'inactive', sub: 'dead' },
  running: { load: 'loaded', active: 'active', sub: 'running' },
  restarting: { load: 'loaded', active: 'activating', sub: 'auto-restart' },
  failed: { load: 'loaded', active: 'failed', sub: 'failed' },
  deactivating: { load: 'loaded', active: 'deactivating', sub: 'stop-sigterm' },
} satisfies Record<string, UnitSystemdState>;

export interface ExecBackendOptions {
  /** Unit files, pid files and logs live in `<dataDir>/units/<unit>/`. */
  dataDir: string;
  logger: Logger;
  /** How long a stop waits after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
  /** How often a process adopted after a restart is checked for exit. */
  adoptedPollMs?: number;
  /** How often a followed log file is checked for new lines. */
  followPollMs?: number;
}

/**
 * The exec backend: each unit's ExecStart runs as a supervised process in its own process group,
 * detached from schedulerd, with systemd's Restart=/RestartSec= and its output in a log file. What
 * it runs is written to disk (unit text, launched flag, pid and start time), so a restarted
 * schedulerd adopts the processes instead of starting them again.
 */
export class ExecBackend implements UnitBackend {
  readonly kind = 'exec';
  readonly #units = new Map<string, ExecUnit>();
  readonly #listeners: ((name: string) => void)[] = [];
  readonly #root: string;
  readonly #logger: Logger;
  #closed = false;

  constructor(private readonly options: ExecBackendOptions) {
    this.#root = path.join(options.dataDir, 'units');
    this.#logger = options.logger.child({ component: 'exec-backend' });
  }

  #dir(name: string): string {
    return path.join(this.#root, name);
  }

  async init(): Promise<void> {
    await mkdir(this.#root, { recursive: true });
    for (const name of await readdir(this.#root)) {
      const dir = this.#dir(name);
      const meta = await readJson<MetaRecord>(path.join(dir, 'meta.json'));
      const text = await readFile(path.join(dir, 'unit'), 'utf8').catch(() => undefined);
      if (!meta || text === undefined) {
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      const unit = this.#newUnit(name, meta.hash, parseUnitFile(text));
      unit.launched = meta.launched;
      unit.restarts = meta.restarts;
      this.#units.set(name, unit);
      const run = await readJson<RunRecord>(path.join(dir, 'run.json'));
      if (run && (await processAlive(run.pid, run.startTime))) {
        unit.run = run;
        this.#setState(unit, states.running, run.startedAt);
        this.#logger.info({ unit: name, pid: run.pid }, 'adopted a running unit process');
        this.#watchAdopted(unit);
      } else if (run) {
        await this.#exited(unit, await this.#readOutcome(name));
      } else if (unit.launched) {
        await this.#spawn(unit);
      }
    }
  }

  list(): BackendUnit[] {
    return [...this.#units.values()].map((unit) => ({ name: unit.name, hash: unit.hash, launched: unit.launched, state: { ...unit.state } }));
  }

  status(name: string): BackendUnitStatus | undefined {
    const unit = this.#units.get(name);
    if (!unit) return undefined;
    let command: string[] = [];
    try {
      command = execPlan(unit.options, name).argv;
    } catch {
      // shown as no command
    }
    return { name, hash: unit.hash, launched: unit.launched, state: { ...unit.state }, mainPid: unit.run?.pid, restarts: unit.restarts, since: unit.since, lastExit: unit.lastExit, command };
  }

  async journal(name: string, lines: number): Promise<string[]> {
    const text = await readFile(path.join(this.#dir(name), 'log'), 'utf8').catch(() => '');
    const all = text.split('\n');
    if (all[all.length - 1] === '') all.pop();
    return all.slice(-lines);
  }

  /** `journal -f`: the last lines of the unit's log file, then each line appended to it, until `signal` aborts. */
  followJournal(name: string, lines: number, signal: AbortSignal): AsyncIterable<string> {
    return followLogFile(path.join(this.#dir(name), 'log'), lines, signal, this.options.followPollMs ?? 200);
  }

  onChange(listener: (name: string) => void): void {
    this.#listeners.push(listener);
  }

  async load(name: string, options: readonly UnitOption[], hash: string): Promise<void> {
    if (this.#units.has(name)) await this.unload(name);
    const dir = this.#dir(name);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'unit'), serializeUnitFile(options));
    const unit = this.#newUnit(name, hash, [...options]);
    this.#units.set(name, unit);
    await this.#saveMeta(unit);
    this.#emit(name);
  }

  async unload(name: string): Promise<void> {
    const unit = this.#units.get(name);
    if (!unit) return;
    await this.stop(name);
    this.#units.delete(name);
    await rm(this.#dir(name), { recursive: true, force: true });
    this.#emit(name);
  }

  async start(name: string): Promise<void> {
    const unit = this.#require(name);
    unit.launched = true;
    await this.#saveMeta(unit);
    if (unit.run || unit.restartTimer) return;
    await this.#spawn(unit);
  }

  async stop(name: string): Promise<void> {
    const unit = this.#require(name);
    unit.launched = false;
    await this.#saveMeta(unit);
    clearTimeout(unit.restartTimer);
    unit.restartTimer = undefined;
    if (unit.run) {
      unit.stopping = true;
      this.#setState(unit, states.deactivating);
      const exited = new Promise<void>((resolve) => unit.exited.push(resolve));
      signalGroup(unit.run.pid, 'SIGTERM');
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.options.stopTimeoutMs ?? 5_000).unref());
      if ((await Promise.race([exited, timeout])) === 'timeout' && unit.run) {
        signalGroup(unit.run.pid, 'SIGKILL');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      }
    } else if (unit.state.active !== 'inactive') this.#setState(unit, states.idle);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const unit of this.#units.values()) {
      clearTimeout(unit.restartTimer);
      clearInterval(unit.poll);
      unit.child?.removeAllListeners('exit');
    }
  }

  #newUnit(name: string, hash: string, options: UnitOption[]): ExecUnit {
    return { name, hash, options, launched: false, state: states.idle, since: new Date().toISOString(), restarts: 0, lastExit: undefined, run: undefined, child: undefined, poll: undefined, restartTimer: undefined, stopping: false, exited: [] };
  }

  #require(name: string): ExecUnit {
    const unit = this.#units.get(name);
    if (!unit) throw new Error(`unit ${name} is not loaded`);
    return unit;
  }

  async #saveMeta(unit: ExecUnit): Promise<void> {
    if (!this.#units.has(unit.name)) return;
    await writeFile(path.join(this.#dir(unit.name), 'meta.json'), JSON.stringify({ hash: unit.hash, launched: unit.launched, restarts: unit.restarts } satisfies MetaRecord));
  }

  #setState(unit: ExecUnit, state: UnitSystemdState, since = new Date().toISOString()): void {
    unit.state = state;
    unit.since = since;
    this.#emit(unit.name);
  }

  #emit(name: string): void {
    for (const listener of this.#listeners) listener(name);
  }

  async #journalLine(name: string, text: string): Promise<void> {
    await appendFile(path.join(this.#dir(name), 'log'), `${new Date().toISOString()} schedulerd: ${text}\n`).catch(() => undefined);
  }

  async #spawn(unit: ExecUnit): Promise<void> {
    if (this.#closed) return;
    const dir = this.#dir(unit.name);
    let plan: ExecPlan;
    try {
      plan = execPlan(unit.options, unit.name);
    } catch (error) {
      unit.lastExit = (error as Error).message;
      await this.#journalLine(unit.name, `cannot start: ${(error as Error).message}`);
      this.#setState(unit, states.failed);
      return;
    }
    await rm(path.join(dir, 'exit'), { force: true });
    const log = await open(path.join(dir, 'log'), 'a');
    await this.#journalLine(unit.name, `Starting ${unit.name}: ${plan.argv.join(' ')}`);
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', wrapperScript, path.join(dir, 'exit'), ...plan.argv], {
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
        env: { ...process.env, ...plan.environment },
        ...(plan.workingDirectory ? { cwd: plan.workingDirectory } : {}),
      });
    } finally {
      await log.close();
    }
    child.unref();
    const pid = child.pid;
    if (pid === undefined) {
      await new Promise((resolve) => child.once('error', resolve));
      unit.lastExit = 'could not start /bin/sh';
      this.#setState(unit, states.failed);
      return;
    }
    // Listen for the exit before anything else is awaited: a quick command can end at once. Its
    // handling waits until the run is recorded, so run.json never outlives the run.
    const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const run: RunRecord = { pid, startTime: undefined, startedAt: new Date().toISOString() };
    unit.child = child;
    unit.stopping = false;
    unit.run = run;
    this.#setState(unit, states.running, run.startedAt);
    const recorded = (async () => {
      run.startTime = await processStartTime(pid);
      await writeFile(path.join(dir, 'run.json'), JSON.stringify(run));
    })();
    void ended.then(async (signal) => {
      await recorded.catch(() => undefined);
      unit.child = undefined;
      const outcome = await this.#readOutcome(unit.name);
      await this.#exited(unit, outcome.kind === 'unknown' && signal ? { kind: 'signal', signal } : outcome);
    });
    await recorded;
  }

  #watchAdopted(unit: ExecUnit): void {
    const run = unit.run!;
    unit.poll = setInterval(() => {
      void processAlive(run.pid, run.startTime).then(async (alive) => {
        if (alive || unit.run !== run) return;
        clearInterval(unit.poll);
        unit.poll = undefined;
        await this.#exited(unit, await this.#readOutcome(unit.name));
      });
    }, this.options.adoptedPollMs ?? 250);
  }

  async #readOutcome(name: string): Promise<RunOutcome> {
    const text = await readFile(path.join(this.#dir(name), 'exit'), 'utf8').catch(() => undefined);
    const code = text === undefined ? NaN : Number(text.trim());
    if (!Number.isInteger(code)) return { kind: 'unknown' };
    if (code > 128) {
      const signal = Object.entries(constants.signals).find(([, number]) => number === code - 128)?.[0];
      if (signal) return { kind: 'signal', signal };
    }
    return { kind: 'exited', code };
  }

  async #exited(unit: ExecUnit, outcome: RunOutcome): Promise<void> {
    if (this.#closed) return;
    unit.run = undefined;
    await rm(path.join(this.#dir(unit.name), 'run.json'), { force: true });
    unit.lastExit = describeOutcome(outcome);
    const stopped = unit.stopping;
    unit.stopping = false;
    await this.#journalLine(unit.name, stopped ? `Stopped ${unit.name}` : `Main process exited, ${unit.lastExit}`);
    for (const resolve of unit.exited.splice(0)) resolve();
    if (!this.#units.has(unit.name)) return;
    let plan: ExecPlan | undefined;
    try {
      plan = execPlan(unit.options, unit.name);
    } catch {
      plan = undefined;
    }
    if (stopped || !plan) {
      this.#setState(unit, stopped ? states.idle : states.failed);
      return;
    }
    if (unit.launched && shouldRestart(plan.restart, outcome, plan)) {
      this.#setState(unit, states.restarting);
      unit.restartTimer = setTimeout(() => {
        unit.restartTimer = undefined;
        unit.restarts++;
        void this.#saveMeta(unit).then(() => (unit.launched ? this.#spawn(unit) : undefined));
      }, plan.restartSecMs);
      return;
    }
    this.#setState(unit, succeeded(outcome, plan) ? states.idle : states.failed);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * Follows a log file like `tail -n LINES -F`: complete lines only (a line still being written waits
 * for its newline), and it starts over when the file is truncated or replaced (unload removes the
 * unit's folder, a later load creates a new log). It polls with stat rather than watching: a watch
 * on a file that is removed and created again goes silent.
 */
export async function* followLogFile(file: string, lines: number, signal: AbortSignal, pollMs: number): AsyncGenerator<string> {
  let offset = 0;
  let inode: number | undefined;
  let decoder = new StringDecoder('utf8');
  let pending = '';
  let first = true;
  while (!signal.aborted) {
    const info = await stat(file).catch(() => undefined);
    if (!info || (inode !== undefined && (info.ino !== inode || info.size < offset))) {
      offset = 0;
      decoder = new StringDecoder('utf8');
      pending = '';
    }
    inode = info?.ino;
    if (info && info.size > offset) {
      const chunk = await readRange(file, offset, info.size);
      offset += chunk.length;
      const parts = (pending + decoder.write(chunk)).split('\n');
      pending = parts.pop() ?? '';
      for (const line of first ? parts.slice(-lines) : parts) {
        if (signal.aborted) return;
        yield line;
      }
    }
    first = false;
    try {
      await sleep(pollMs, undefined, { signal });
    } catch {
      return; // aborted
    }
  }
}

/** The bytes from..to of the file (fewer if it shrank, none if it is gone meanwhile). */
async function readRange(file: string, from: number, to: number): Promise<Buffer> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return Buffer.alloc(0);
  try {
    const buffer = Buffer.alloc(to - from);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
