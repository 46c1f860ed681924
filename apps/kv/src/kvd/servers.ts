import { RouteNotFound, createHttpServer, listen, parseListenAddress, type HttpError, type HttpServer } from '@minicore/http';
import type { Logger } from '@minicore/log';
import { registerClusterRoutes } from './cluster-routes.js';
import { registerKeysRoutes } from './keys-routes.js';
import { registerMemberMetrics } from './metrics.js';
import type { KvMemberNode } from './member.js';
import type { KvProxy } from './proxy.js';
import { registerPeerRoutes } from './peer-routes.js';

/** etcd answers errors outside the keys API as `{"message": ...}`, and unknown paths as Go's plain 404. */
const formatError = (error: HttpError) =>
  error.code === RouteNotFound.code
    ? { statusCode: 404, body: '404 page not found\n', headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' } }
    : { statusCode: error.statusCode, body: { message: error.message } };

/** The client listener: keys API, cluster endpoints, /health (healthy while a leader is known), /metrics. */
export async function buildClientServer(member: KvMemberNode, logger: Logger, bodyLimit: number): Promise<HttpServer> {
  const app = createHttpServer({
    name: 'kvd',
    logger,
    bodyLimit,
    formatError,
    health: { raft: () => (member.leader !== null ? true : 'no leader'), consensus: () => member.consensus.failed?.message ?? true },
  });
  await registerKeysRoutes(app, member);
  await registerClusterRoutes(app, member);
  registerMemberMetrics(app.metrics, member);
  return app;
}

export async function buildPeerServer(member: KvMemberNode, logger: Logger): Promise<HttpServer> {
  const app = createHttpServer({ name: 'kvd_peer', logger, formatError, bodyLimit: 512 * 1024 * 1024 });
  registerPeerRoutes(app, member);
  return app;
}

/** Listens on every URL, one server each (a fastify instance binds one address). */
export async function listenAll(urls: readonly string[], build: () => Promise<HttpServer>): Promise<HttpServer[]> {
  const servers: HttpServer[] = [];
  for (const url of urls) {
    const server = await build();
    await listen(server, parseListenAddress(url));
    servers.push(server);
  }
  return servers;
}

/** A proxy's client listener: its own /health (a member is known) and /metrics; everything else goes to the members. */
export async function buildProxyServer(proxy: KvProxy, logger: Logger, bodyLimit: number): Promise<HttpServer> {
  const app = createHttpServer({ name: 'kvd', logger, bodyLimit, formatError, health: { members: () => (proxy.members.length > 0 ? true : 'no cluster member known') } });
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // Leave the body unread: the proxy streams it to the member.
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    scope.all('/*', async (request, reply) => {
      reply.hijack();
      proxy.handle(request.raw, reply.raw);
    });
  });
  return app;
}
