import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@minicore/kvd-testing';
import { waitFor } from './harness.js';

/** Debian's docker-registry (distribution 2.8): a real registry for push and pull between machines. */
export const REGISTRY_BINARY = process.env['DOCKER_REGISTRY_BINARY'] ?? '/usr/bin/docker-registry';
export const registryInstalled = existsSync(REGISTRY_BINARY);
if (!registryInstalled && process.env['CI'] === 'true') throw new Error(`runner registry tests need ${REGISTRY_BINARY} under CI (apt-get install docker-registry)`);

/** A registry on 127.0.0.1 with a free port and a throw-away storage folder; the engine treats 127.0.0.0/8 as an insecure (plain HTTP) registry by default. */
export class RegistryProcess {
  #child: ChildProcess | undefined;
  #output = '';

  private constructor(
    /** `127.0.0.1:PORT`, as image references name it. */
    readonly address: string,
    private readonly dir: string,
  ) {}

  static async start(): Promise<RegistryProcess> {
    const dir = await mkdtemp(path.join(tmpdir(), 'runner-registry-'));
    const address = `127.0.0.1:${await freePort()}`;
    const config = path.join(dir, 'config.yml');
    await writeFile(
      config,
      ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${path.join(dir, 'data')}`, '  delete:', '    enabled: true', 'http:', `  addr: ${address}`, ''].join('\n'),
    );
    const registry = new RegistryProcess(address, dir);
    // docker-registry reads REGISTRY_* variables as overrides of its config: none may leak in.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('REGISTRY_')));
    const child = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'], env });
    registry.#child = child;
    child.stdout.on('data', (chunk: Buffer) => (registry.#output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (registry.#output += chunk.toString()));
    try {
      await waitFor('the registry to answer /v2/', async () => {
        if (child.exitCode !== null) throw new Error(`docker-registry exited ${child.exitCode}: ${registry.#output.slice(-2000)}`);
        return (await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(1000) })).ok;
      }, 15_000);
    } catch (error) {
      await registry.stop();
      throw error;
    }
    return registry;
  }

  /** The tags the registry holds for a repository (its own API, not the engine's view). */
  async tags(repository: string): Promise<string[]> {
    const response = await fetch(`http://${this.address}/v2/${repository}/tags/list`, { signal: AbortSignal.timeout(2000) });
    if (response.status === 404) return [];
    return ((await response.json()) as { tags: string[] | null }).tags ?? [];
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
