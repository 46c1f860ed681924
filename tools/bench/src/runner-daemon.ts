import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { ManagedProcess, ProcessRegistry } from './processes.js';
import { sleep } from './http-client.js';
import { statCpuTicks, statusKilobytes } from './runner-stats.js';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with the engine's event times. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/** A runnerd started by the benchmark, from the built dist, with a machine id and data dir of its own. */
export interface BenchRunnerd {
  url: string;
  pid: number;
  process: ManagedProcess;
}

export async function startRunnerd(options: {
  registry: ProcessRegistry;
  script: string;
  machineId: string;
  workDir: string;
  dockerSocket: string;
}): Promise<BenchRunnerd> {
  const dataDir = path.join(options.workDir, options.machineId);
  const logFile = path.join(options.workDir, `${options.machineId}.log`);
  const managed = options.registry.spawnLogged(
    process.execPath,
    [
      options.script,
      '--listen', '127.0.0.1:0',
      '--machine-id', options.machineId,
      '--data-dir', dataDir,
      '--docker-socket', options.dockerSocket,
      // As on a machine, containers get KV_ENDPOINT through the bridge forwarder; port 0 so that
      // it never collides with a runnerd or kvd of the demo cluster on this host.
      '--container-kv-listen', 'bridge:0',
    ],
    logFile,
  );
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (managed.hasExited) throw new Error(`runnerd exited at start-up:\n${managed.logTail()}`);
    const log = safeRead(logFile);
    const match = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"runnerd ready"/.exec(log);
    if (match) return { url: match[1] as string, pid: managed.child.pid as number, process: managed };
    await sleep(50);
  }
  await managed.stop(1000);
  throw new Error(`runnerd did not get ready within 30 s:\n${managed.logTail()}`);
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** One JSON request to runnerd's API (a fresh connection each time, as runctl makes it). */
export function runnerdRequest(url: string, method: string, pathname: string, body?: unknown, timeoutMs = 60_000): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(new URL(pathname, url), { method, agent: false, headers: payload === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown });
        } catch {
          resolve({ status: res.statusCode ?? 0, json: text });
        }
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`runnerd ${method} ${pathname} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Resident memory now and at its highest, from /proc. */
export function memoryOf(pid: number): { rssKb: number | undefined; peakKb: number | undefined } {
  const status = safeRead(`/proc/${pid}/status`);
  return { rssKb: statusKilobytes(status, 'VmRSS'), peakKb: statusKilobytes(status, 'VmHWM') };
}

export function cpuTicksOf(pid: number): number | undefined {
  return statCpuTicks(safeRead(`/proc/${pid}/stat`));
}

let ticksPerSecond: number | undefined;
/** The kernel's clock ticks per second (USER_HZ) for /proc CPU times. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    const answer = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim());
    ticksPerSecond = Number.isFinite(answer) && answer > 0 ? answer : 100;
  }
  return ticksPerSecond;
}

/** Command-line children (docker run, runctl) in flight, so that Ctrl-C can end them. */
export const cliChildren = new Set<ChildProcess>();

export interface TimedCommand {
  ms: number;
  startedAtMs: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end and times it from spawn to exit. */
export function timeCommand(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<TimedCommand> {
  return new Promise((resolve, reject) => {
    const startedAtMs = nowMs();
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    cliChildren.add(child);
    let stdout = '';
    let stderr = '';
    let exitedAt = 0;
    let code: number | null = null;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (exitCode) => {
      exitedAt = nowMs();
      code = exitCode;
    });
    child.once('error', (error) => {
      cliChildren.delete(child);
      reject(new Error(`${command}: ${error.message}`));
    });
    child.once('close', () => {
      cliChildren.delete(child);
      resolve({ ms: (exitedAt || nowMs()) - startedAtMs, startedAtMs, code, stdout, stderr });
    });
  });
}
