import { DockerEngine } from '@minicore/docker-engine';
import { KvClient } from '@minicore/kv-client';
import { createHttpServer, type HttpServer } from '@minicore/http';
import type { Logger } from '@minicore/log';
import { Announcer } from './announcer.js';
import { ContainerKv } from './container-kv.js';
import { ContainerService } from './container-service.js';
import type { BackoffOptions } from './restart-decision.js';
import { installRoutes } from './routes.js';
import { StateStore } from './state-store.js';
import { Supervisor } from './supervisor.js';

export interface RunnerDaemonOptions {
  dockerSocket: string;
  machineId: string;
  dataDir: string;
  backoff: BackoffOptions;
  /** This machine's kv client URLs. */
  kvEndpoints: readonly string[];
  announceTtlSeconds: number;
  advertiseHost: string;
  /** `--container-kv-listen`. */
  containerKvListen: string;
  logger: Logger;
}

export interface RunnerDaemon {
  app: HttpServer;
  supervisor: Supervisor;
  service: ContainerService;
  announcer: Announcer;
  containerKv: ContainerKv;
  /** Stops serving and supervising; the containers keep running (the next runnerd adopts them). */
  close(): Promise<void>;
}

/** Builds runnerd without listening: main() listens, tests may inject requests. */
export async function createRunnerDaemon(options: RunnerDaemonOptions): Promise<RunnerDaemon> {
  const { logger } = options;
  const engine = new DockerEngine({ socketPath: options.dockerSocket });
  const store = new StateStore(options.dataDir);
  await store.load();
  const supervisor = new Supervisor({ engine, machineId: options.machineId, store, logger, backoff: options.backoff });
  const kv = new KvClient({ endpoints: options.kvEndpoints, timeoutMs: 2000 });
  const announcer = new Announcer({ engine, kv, machineId: options.machineId, ttlSeconds: options.announceTtlSeconds, advertiseHost: options.advertiseHost, logger });
  supervisor.onEvent((event) => announcer.handle(event));
  supervisor.onReconcile((containers) => announcer.reconcile(containers));
  const containerKv = new ContainerKv({ listen: options.containerKvListen, kvEndpoints: options.kvEndpoints, engine, logger });
  const service = new ContainerService(engine, supervisor, options.machineId, logger, containerKv);
  const app = createHttpServer({
    name: 'runnerd',
    logger,
    health: {
      engine: async () => {
        await engine.ping();
        return true as const;
      },
      events: () => supervisor.connected,
    },
  });
  installRoutes(app, service, announcer);
  await supervisor.start();
  // Set up now when it can be (it is retried with the next container when it cannot).
  await containerKv.ensure();
  return {
    app,
    supervisor,
    service,
    announcer,
    containerKv,
    close: async () => {
      await app.close();
      await supervisor.stop();
      await announcer.stop();
      await containerKv.close();
    },
  };
}
