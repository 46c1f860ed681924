import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerSummary } from '../src/api/index.js';
import { DOCKER_SOCKET, TEST_IMAGE, noEngine, skipMessage } from './support/engine.js';
import { RunnerWorld, waitFor, type RunnerdProcess } from './support/harness.js';

/**
 * A unix socket that passes every connection through to the real engine, and can be cut: the
 * engine as runnerd sees it goes away (as when dockerd restarts) while the real one keeps running,
 * shared with everything else on this machine.
 */
class EngineRelay {
  #server: net.Server | undefined;
  readonly #connections = new Set<net.Socket>();

  constructor(readonly socketPath: string) {}

  async open(): Promise<void> {
    await rm(this.socketPath, { force: true });
    const server = net.createServer((client) => {
      const engine = net.connect(DOCKER_SOCKET);
      for (const socket of [client, engine]) {
        this.#connections.add(socket);
        socket.on('close', () => this.#connections.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(engine).pipe(client);
      client.on('close', () => engine.destroy());
      engine.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.socketPath, resolve));
    this.#server = server;
  }

  /** Refuses new connections and cuts the open ones (the event stream among them). */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#connections) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

describe.skipIf(noEngine)(`an engine that goes away and comes back (${skipMessage})`, () => {
  const world = new RunnerWorld();
  let relay: EngineRelay;
  let runnerd: RunnerdProcess;

  beforeAll(async () => {
    await world.setup();
    relay = new EngineRelay(path.join(world.dataDir, 'engine.sock'));
    await relay.open();
    runnerd = await world.runnerd(['--docker-socket', relay.socketPath]);
  });
  afterAll(async () => {
    await relay?.cut();
    await world.teardown();
  });

  const health = async () => (await fetch(`${runnerd.url}/health`)).status;

  it('says the engine is unreachable at its socket, and on reconnection restarts what died meanwhile and supervises again', async () => {
    const name = world.name('keeper');
    const run = await runnerd.runctl(['run', '--name', name, '--restart', 'always', TEST_IMAGE, 'sleep', '300']);
    expect(run.code, run.stderr).toBe(0);
    const id = run.stdout.trim();
    expect(await health()).toBe(200);

    await relay.cut();
    await waitFor('runnerd to report the lost event stream', async () => (await health()) === 503, 15_000);
    const ps = await runnerd.runctl(['ps']);
    expect(ps.code).toBe(1);
    expect(ps.stderr).toContain(`Docker engine unreachable at ${relay.socketPath}`);

    // It dies while runnerd cannot see the engine: no event will ever tell runnerd.
    await world.engine.killContainer(id, 'SIGKILL');
    await waitFor('the container to be down', async () => !(await world.engine.inspectContainer(id)).State.Running, 10_000);

    await relay.open();
    await waitFor('runnerd to reconnect', async () => (await health()) === 200, 20_000);
    await waitFor('the container to be started again after the reconnection', async () => (await world.engine.inspectContainer(id)).State.Running, 20_000);

    // And the event stream works again: the next death is restarted too.
    await world.engine.killContainer(id, 'SIGKILL');
    await waitFor('the restart after a death seen on the new event stream', async () => {
      const list = JSON.parse((await runnerd.runctl(['-o', 'json', 'ps'])).stdout) as ContainerSummary[];
      const found = list.find((c) => c.name === name);
      return found?.state === 'running' && found.restarts >= 2 ? found : undefined;
    }, 20_000);
  });
});
