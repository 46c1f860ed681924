import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePorts } from './ports.js';
import type { ProcessRegistry, ManagedProcess } from './processes.js';
import type { InstallPriority } from './updater-args.js';

const workspaceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = {
  updaterd: path.join(workspaceRoot, 'apps/updater/dist/updaterd/main.js'),
  updateServer: path.join(workspaceRoot, 'apps/updater/dist/update-server/main.js'),
  updatectl: path.join(workspaceRoot, 'apps/updater/dist/updatectl/main.js'),
  release: path.join(workspaceRoot, 'tools/release/dist/main.js'),
  workload: path.join(path.dirname(fileURLToPath(import.meta.url)), 'updater-workload.js'),
};
const TOKEN = 'bench-admin-token';
const VERSION = '2.0.0';

/** Runs a node program to completion; its stdout, or an error with its output. */
function runNode(script: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const outcome = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (outcome.status !== 0) throw new Error(`${path.basename(path.dirname(script))}/${path.basename(script)} ${args.join(' ')} failed: ${outcome.stderr || outcome.stdout}`);
  return outcome.stdout;
}

/** Polls `check` every 100 ms until it returns a value; fails after `timeoutMs`. */
async function until<T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A release tree of `bytes`: 1 MiB files under apps/payload/dist, alternately text (compresses
 * like code) and random bytes (like the native parts), so the bundle is about 60 % of the tree.
 */
export function makeReleaseTree(root: string, bytes: number): number {
  const dist = path.join(root, 'apps/payload/dist');
  mkdirSync(dist, { recursive: true });
  writeFileSync(path.join(root, 'apps/payload/package.json'), '{"name":"payload","private":true}\n');
  const files = Math.max(1, Math.round(bytes / (1024 * 1024)));
  let line = 0;
  for (let i = 0; i < files; i++) {
    let content: Buffer;
    if (i % 2 === 0) {
      const lines: string[] = [];
      let size = 0;
      while (size < 1024 * 1024) {
        const text = `export const value${line} = ${(line * 7919) % 104729}; // ${randomBytes(6).toString('hex')}\n`;
        line += 1;
        lines.push(text);
        size += text.length;
      }
      content = Buffer.from(lines.join('')).subarray(0, 1024 * 1024);
    } else content = randomBytes(1024 * 1024);
    writeFileSync(path.join(dist, `part-${String(i).padStart(5, '0')}.${i % 2 === 0 ? 'js' : 'bin'}`), content);
  }
  return files;
}

export interface ReleaseFixture {
  key: string;
  bundle: string;
  bundleBytes: number;
  files: number;
}

export function buildRelease(dir: string, sizeBytes: number): ReleaseFixture {
  const key = path.join(dir, 'release.key');
  runNode(bin.updatectl, ['keygen', '--out', key]);
  const tree = path.join(dir, 'tree');
  makeReleaseTree(tree, sizeBytes);
  const bundle = path.join(dir, `minicore-${VERSION}.mcr`);
  const made = JSON.parse(runNode(bin.release, ['--version', VERSION, '--key', key, '--out', bundle, '--root', tree])) as { size: number; files: number };
  return { key, bundle, bundleBytes: made.size, files: made.files };
}

/** update-server on a free port, holding the release in a group every machine may update from. */
export async function startServer(registry: ProcessRegistry, dir: string, release: ReleaseFixture): Promise<{ url: string; process: ManagedProcess }> {
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const data = path.join(dir, 'server');
  await mkdir(data, { recursive: true });
  const server = registry.spawnLogged(process.execPath, [bin.updateServer, '--listen', `127.0.0.1:${port}`, '--data-dir', data, '--admin-token', TOKEN], path.join(dir, 'update-server.log'));
  await until(
    'update-server to answer',
    () => {
      if (server.hasExited) throw new Error(`update-server exited: ${server.logTail()}`);
      return server.logTail(5).includes('update-server ready') ? true : undefined;
    },
    30_000,
  );
  const env = { UPDATECTL_SERVER: url, UPDATECTL_TOKEN: TOKEN };
  runNode(bin.updatectl, ['release', 'upload', release.bundle], env);
  runNode(bin.updatectl, ['channel', 'create', 'stable', VERSION], env);
  runNode(bin.updatectl, ['group', 'create', 'prod', '--channel', 'stable', '--track', 'stable', '--max-per-period', '100000', '--enabled'], env);
  return { url, process: server };
}

/** Runs updatectl against the server (admin commands), parsing its --output json. */
export function updatectl<T>(serverUrl: string, args: string[]): T {
  return JSON.parse(runNode(bin.updatectl, ['--output', 'json', ...args], { UPDATECTL_SERVER: serverUrl, UPDATECTL_TOKEN: TOKEN })) as T;
}

/**
 * `sha256sum FILE && tar -xzf FILE` into an empty directory: the floor an install is compared with.
 * Nothing is synced (tar does not fsync). The previous run's tree is removed before the clock starts.
 */
export function referenceInstall(dir: string, bundle: string): number {
  const target = path.join(dir, 'reference');
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const started = performance.now();
  for (const [command, args] of [['sha256sum', [bundle]], ['tar', ['-xzf', bundle, '-C', target]]] as const) {
    const outcome = spawnSync(command, [...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (outcome.status !== 0) throw new Error(`${command} failed: ${outcome.stderr}`);
  }
  return performance.now() - started;
}

export interface InstallRun {
  /** From "update available" to "update installed" in updaterd's log: download, checks, unpack, record. */
  installMs: number;
  startedAt: number;
  finishedAt: number;
  /** As the install worker reported it, e.g. nice 19, "idle". */
  worker?: { nice: number; ioClass: string };
}

interface LogLine {
  msg?: string;
  time?: number | string;
  nice?: number;
  ioClass?: string;
}

function parseLog(file: string): LogLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

const timeOf = (line: LogLine | undefined): number => (typeof line?.time === 'number' ? line.time : Date.parse(String(line?.time)));

/** One machine (a fresh slots folder, booted from A) whose updaterd finds the release and installs it. */
export async function installOnce(registry: ProcessRegistry, dir: string, name: string, serverUrl: string, release: ReleaseFixture, priority: InstallPriority): Promise<InstallRun> {
  const slots = path.join(dir, `slots-${name}`);
  runNode(bin.updaterd, ['boot', '--slots-dir', slots, '--boot-id', name]);
  const log = path.join(dir, `updaterd-${name}.log`);
  const daemon = registry.spawnLogged(
    process.execPath,
    [
      bin.updaterd, '--slots-dir', slots, '--server', `${serverUrl}/v1/update/`, '--track', 'stable', '--trusted-key', `${release.key}.pub`, '--machine-id', name,
      '--version', '1.0.0', '--first-check-delay', '0s', '--check-interval', '1h', '--check-fuzz', '0s', '--healthy-after', '0s', '--dbus-address', 'none',
      '--reboot-strategy', 'off', '--install-priority', priority,
    ],
    log,
  );
  try {
    const lines = await until(
      `updaterd (${name}) to install the release`,
      () => {
        const parsed = parseLog(log);
        const failed = parsed.find((line) => line.msg === 'update failed' || line.msg === 'update check crashed');
        if (failed) throw new Error(`updaterd (${name}): ${JSON.stringify(failed)}`);
        if (daemon.hasExited) throw new Error(`updaterd (${name}) exited: ${daemon.logTail()}`);
        return parsed.some((line) => line.msg === 'update installed; reboot to use it') ? parsed : undefined;
      },
      30 * 60_000,
    );
    const startedAt = timeOf(lines.find((line) => line.msg === 'update available'));
    const finishedAt = timeOf(lines.find((line) => line.msg === 'update installed; reboot to use it'));
    const worker = lines.find((line) => line.msg === 'install worker started');
    return { installMs: finishedAt - startedAt, startedAt, finishedAt, ...(worker ? { worker: { nice: worker.nice ?? 0, ioClass: worker.ioClass ?? '' } } : {}) };
  } finally {
    await daemon.stop();
  }
}

/** The co-running workload as a process; `rate(from, to)` is its ops/s between two wall-clock times. */
export class Workload {
  private readonly samples: { t: number; ops: number }[] = [];
  private readonly process: ManagedProcess;

  constructor(registry: ProcessRegistry, dir: string) {
    const workDir = path.join(dir, 'workload');
    mkdirSync(workDir, { recursive: true });
    const { process: managed } = registry.spawnCaptured(process.execPath, [bin.workload, workDir]);
    this.process = managed;
    const stdout = managed.child.stdout;
    if (stdout) createInterface({ input: stdout }).on('line', (line) => {
      try {
        this.samples.push(JSON.parse(line) as { t: number; ops: number });
      } catch {
        // not a sample
      }
    });
  }

  async started(): Promise<void> {
    await until('the workload to start', () => (this.samples.length > 0 ? true : undefined), 30_000);
  }

  rate(from: number, to: number): number {
    const first = this.samples.find((sample) => sample.t >= from);
    const last = [...this.samples].reverse().find((sample) => sample.t <= to);
    if (!first || !last || last.t <= first.t) throw new Error('the workload reported too little in the window');
    return ((last.ops - first.ops) / (last.t - first.t)) * 1000;
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
