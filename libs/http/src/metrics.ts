import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics for one server: the process's default metrics plus request counts and
 * durations by method, route pattern (not raw URL, to keep cardinality bounded) and status.
 * Each server gets its own Registry so that tests running several servers in one process do not
 * collide; apps register their own metrics on `app.metrics`.
 */
export function installMetrics(app: FastifyInstance, prefix: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: `${prefix}_` });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: `${prefix}_http_requests_total`, help: 'HTTP requests answered', labelNames, registers: [registry] });
  const durations = new Histogram({
    name: `${prefix}_http_request_duration_seconds`,
    help: 'Time from request to response',
    labelNames,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  app.addHook('onResponse', async (request, reply) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    requests.inc(labels);
    durations.observe(labels, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}
