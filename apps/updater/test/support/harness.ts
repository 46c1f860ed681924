import { randomBytes as random } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DaemonProcess, run, waitFor as waitForShared, type Outcome } from '@minicore/kvd-testing';
import { createBundle, loadPrivateKey, writeReleaseKeyPair } from '@minicore/release';

const appDir = path.resolve(import.meta.dirname, '../..');
export const bins = {
  updateServer: path.join(appDir, 'bin/update-server.js'),
  updatectl: path.join(appDir, 'bin/updatectl.js'),
  updaterd: path.join(appDir, 'bin/updaterd.js'),
  /** updaterd's install worker (built). */
  installWorker: path.join(appDir, 'dist/updaterd/install-worker.js'),
};

/** Bins run and daemons started the same way as every Minicore app's tests. */
export { DaemonProcess, run };
export type { Outcome };

/** The shared poller, every 50 ms here: the updater's states change within a few hundred ms. */
export function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  return waitForShared(what, check, timeoutMs, everyMs);
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

  /**
   * What an operator does to roll a release out, through updatectl: uploads `bundle`, creates the
   * channel `stable` at `version` and the enabled group `prod` (track `stable`) with `groupOptions`.
   */
  async publishStable(bundle: string, version: string, groupOptions: string[] = ['--max-per-period', '100']): Promise<void> {
    const steps = [['release', 'upload', bundle], ['channel', 'create', 'stable', version], ['group', 'create', 'prod', '--channel', 'stable', '--track', 'stable', ...groupOptions, '--enabled']];
    for (const args of steps) {
      const outcome = await this.updatectl(args);
      if (outcome.code !== 0) throw new Error(`updatectl ${args.join(' ')} exited with ${outcome.code}: ${outcome.stderr}`);
    }
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

function noise(bytes: number): string {
  return random(Math.ceil(bytes * 0.75)).toString('base64').slice(0, bytes);
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

  /** A small signed release; `extraBytes` of padding (compresses to little), `randomBytes` of noise (does not). */
  async bundle(version: string, extraBytes = 0, randomBytes = 0): Promise<string> {
    const root = path.join(this.dir, `tree-${version}`);
    const files: Record<string, string> = {
      'package.json': JSON.stringify({ name: 'minicore', version }),
      'apps/kv/dist/kvd/main.js': `console.log("kvd ${version}");\n`,
      'apps/kv/bin/kvd.js': '#!/usr/bin/env node\nimport("../dist/kvd/main.js");\n',
      'libs/log/dist/index.js': `export const version = "${version}";\n${'// padding\n'.repeat(extraBytes / 11)}`,
      ...(randomBytes > 0 ? { 'libs/log/dist/noise.txt': noise(randomBytes) } : {}),
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
