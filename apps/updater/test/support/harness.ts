import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBundle, loadPrivateKey, writeReleaseKeyPair } from '@minicore/release';

const appDir = path.resolve(import.meta.dirname, '../..');
export const bins = {
  updateServer: path.join(appDir, 'bin/update-server.js'),
  updatectl: path.join(appDir, 'bin/updatectl.js'),
  updaterd: path.join(appDir, 'bin/updaterd.js'),
};

/** Polls `check` until it returns a value other than undefined/false, or fails naming `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(everyMs);
  }
}

export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a bin to completion, bounded (SIGKILL after timeoutMs). */
export async function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<Outcome> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A long-running process from the built dist whose log the test can read; `stop()` SIGTERMs it (SIGKILL after 10 s). */
export class DaemonProcess {
  #child: ChildProcess | undefined;
  #log = '';

  constructor(
    readonly bin: string,
    readonly args: string[],
  ) {}

  async start(ready: RegExp): Promise<RegExpExecArray> {
    const child = spawn(process.execPath, [this.bin, ...this.args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MINICORE_LOG_LEVEL: 'info' } });
    this.#child = child;
    child.stdout.on('data', (chunk: Buffer) => (this.#log += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.#log += chunk.toString()));
    return waitFor(`${path.basename(this.bin)} to be ready`, () => {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${this.#log}`);
      return ready.exec(this.#log) ?? undefined;
    });
  }

  get log(): string {
    return this.#log;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

export class UpdateServerProcess extends DaemonProcess {
  url = '';

  constructor(
    readonly dataDir: string,
    readonly token: string,
    extraArgs: string[] = [],
  ) {
    super(bins.updateServer, ['--listen', '127.0.0.1:0', '--data-dir', dataDir, '--admin-token', token, ...extraArgs]);
  }

  async boot(): Promise<this> {
    const match = await this.start(/"url":"(http:\/\/[^"]+)".*update-server ready/);
    this.url = match[1]!;
    return this;
  }

  updatectl(args: string[], token = this.token): Promise<Outcome> {
    return run(bins.updatectl, args, { UPDATECTL_SERVER: this.url, UPDATECTL_TOKEN: token });
  }

  async admin<T>(method: string, route: string, body?: unknown, token = this.token): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.url}/api${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  async omaha(xml: string): Promise<{ status: number; body: string; type: string | null }> {
    const response = await fetch(`${this.url}/v1/update/`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml, signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: await response.text(), type: response.headers.get('content-type') };
  }
}

/** A temp folder with a release key and helpers to make small signed bundles. */
export class ReleaseWorkspace {
  dir = '';
  key = '';

  async setup(): Promise<void> {
    this.dir = await mkdtemp(path.join(tmpdir(), 'updater-test-'));
    this.key = path.join(this.dir, 'release.key');
    await writeReleaseKeyPair(this.key);
  }

  async bundle(version: string, extraBytes = 0): Promise<string> {
    const root = path.join(this.dir, `tree-${version}`);
    const files: Record<string, string> = {
      'package.json': JSON.stringify({ name: 'minicore', version }),
      'apps/kv/dist/kvd/main.js': `console.log("kvd ${version}");\n`,
      'apps/kv/bin/kvd.js': '#!/usr/bin/env node\nimport("../dist/kvd/main.js");\n',
      'libs/log/dist/index.js': `export const version = "${version}";\n${'// padding\n'.repeat(extraBytes / 11)}`,
    };
    for (const [relative, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
      await writeFile(path.join(root, relative), content);
    }
    const out = path.join(this.dir, `minicore-${version}.tar.gz`);
    await createBundle({ root, files: Object.keys(files), version, privateKey: await loadPrivateKey(this.key), out });
    return out;
  }

  async teardown(): Promise<void> {
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
