import type { Logger } from '@minicore/log';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyReply, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault } from 'fastify';
import type { Registry } from 'prom-client';
import { HttpError, InvalidRequest, RouteNotFound, normalizeError, toErrorBody } from './errors.js';
import { installHealth, type HealthCheck } from './health.js';
import { installMetrics } from './metrics.js';
import { formatListenAddress, type ListenAddress } from './listen-address.js';

/** A fastify instance whose route schemas (TypeBox) type the handlers' request and reply. */
export type HttpServer = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider> & {
  metrics: Registry;
};

/** What an app sends for an error; the default is `{ error: { code, message, statusCode } }`. */
export interface FormattedError {
  statusCode: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface HttpServerOptions {
  /** The daemon's name (`kvd`); prefixes its metrics (`kvd_http_requests_total`). */
  name: string;
  logger: Logger;
  /** Checks behind GET /health; none means the process answering is healthy. */
  health?: Record<string, HealthCheck>;
  /** For apps that speak another wire format (etcd's, fleet's). */
  formatError?: (error: HttpError, request: FastifyRequest) => FormattedError;
  /** Largest accepted body in bytes (default 1 MiB + 64 KiB, room for etcd's 1 MiB values). */
  bodyLimit?: number;
}

/**
 * The one way Minicore daemons make an HTTP server: structured logs (pino), one error format,
 * typed TypeBox validation, GET /health and Prometheus GET /metrics.
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  // Typed as fastify's logger interface so the instance's type does not depend on pino's.
  const loggerInstance: FastifyBaseLogger = options.logger;
  const format: (error: HttpError, request: FastifyRequest) => FormattedError =
    options.formatError ?? ((error) => ({ statusCode: error.statusCode, body: toErrorBody(error) }));
  const base = Fastify({
    // Errors fastify raises before any route runs (a malformed percent-escape, an over-long path
    // parameter) answer in the app's error format too, as a bad request.
    frameworkErrors: (error, request, reply: FastifyReply) => {
      const formatted = format(new HttpError(InvalidRequest.code, 400, `invalid request: ${error.message}`), request);
      if (formatted.headers) void reply.headers(formatted.headers);
      void reply.code(formatted.statusCode).send(formatted.body);
    },
    routerOptions: { maxParamLength: 1024 },
    loggerInstance,
    // Per-request info lines cost more than the request itself at kv's rates; errors are logged below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024 + 64 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  });


  base.setErrorHandler(async (error, request, reply) => {
    const httpError = normalizeError(error);
    if (httpError.statusCode >= 500) request.log.error({ err: error, url: request.url, method: request.method }, 'request failed');
    const formatted = format(httpError, request);
    if (formatted.headers) void reply.headers(formatted.headers);
    return reply.code(formatted.statusCode).send(formatted.body);
  });

  base.setNotFoundHandler(async (request, reply) => {
    const formatted = format(RouteNotFound(request.method, request.url), request);
    if (formatted.headers) void reply.headers(formatted.headers);
    return reply.code(formatted.statusCode).send(formatted.body);
  });

  // fastify answers new requests with 503 once closing; keep-alive connections must also end after
  // their in-flight response, or close() would wait on idle sockets until the grace period runs out.
  let closing = false;
  base.addHook('preClose', async () => {
    closing = true;
  });
  base.addHook('onSend', async (_request, reply) => {
    if (closing) void reply.header('connection', 'close');
  });

  const metrics = installMetrics(base, options.name.replaceAll('-', '_'));
  installHealth(base, options.health ?? {});
  return Object.assign(base.withTypeProvider<TypeBoxTypeProvider>(), { metrics });
}

/** Starts listening and returns the address people and clients should use. */
export async function listen(app: FastifyInstance, address: ListenAddress): Promise<string> {
  if (address.kind === 'unix') {
    await app.listen({ path: address.path });
    return formatListenAddress(address);
  }
  await app.listen({ host: address.host, port: address.port });
  const bound = app.server.address();
  const port = typeof bound === 'object' && bound ? bound.port : address.port;
  return formatListenAddress({ ...address, port });
}
