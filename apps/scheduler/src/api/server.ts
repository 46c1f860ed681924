import { createHttpServer, RouteNotFound, type HttpServer } from '@minicore/http';
import type { Logger } from '@minicore/log';
import type { Registry } from '../registry/registry.js';
import { installFleetRoutes } from './fleet-routes.js';

export interface ApiServerOptions {
  registry: Registry;
  logger: Logger;
  tokenLimit?: number;
}

/** schedulerd's HTTP server: fleet's v1 API with fleet's error bodies, plus /health and /metrics. */
export function createApiServer(options: ApiServerOptions): HttpServer {
  const app = createHttpServer({
    name: 'schedulerd',
    logger: options.logger,
    formatError: (error) => {
      // fleet sends an empty message for bare 404s and 500s.
      const quiet = error.code === RouteNotFound.code || error.statusCode >= 500 && error.statusCode !== 503;
      return { statusCode: error.statusCode, body: { error: { code: error.statusCode, message: quiet ? '' : error.message } } };
    },
  });
  installFleetRoutes(app, { registry: options.registry, ...(options.tokenLimit === undefined ? {} : { tokenLimit: options.tokenLimit }) });
  return app;
}
