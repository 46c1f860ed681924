import { DockerEngine } from '@minicore/docker-engine';
import { createHttpServer, type HttpServer } from '@minicore/http';
import type { Logger } from '@minicore/log';
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
  logger: Logger;
}

export interface RunnerDaemon {
  app: HttpServer;
  supervisor: Supervisor;
  service: ContainerService;
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
  const service = new ContainerService(engine, supervisor, options.machineId, logger);
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
  installRoutes(app, service);
  await supervisor.start();
  return {
    app,
    supervisor,
    service,
    close: async () => {
      await app.close();
      await supervisor.stop();
    },
  };
}
