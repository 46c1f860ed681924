import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StoreError, WatcherClosedError, eventStatusCode, keysResponseBody, parseKeysRequest, type KeysMethod, type KeysParams, type StoreEvent, type Watcher } from '@minicore/kv-store';
import { handleStoreErrors } from './cluster-routes.js';
import type { KvMember } from './member.js';

/**
 * etcd's v2 keys API on /v2/keys: reads from the local store (through ReadIndex with quorum=true),
 * writes through Raft, watches as long polls or streams. Parameters come from the query and from a
 * form body, merged as Go's r.Form does; any other body is ignored, as etcd ignores it.
 */
export async function registerKeysRoutes(app: FastifyInstance, member: KvMember): Promise<void> {
  await app.register(async (scope) => {
    handleStoreErrors(scope);
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, formParams(body as string));
    });
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null, {}));

    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const key = (request.params as { '*'?: string })['*'] ?? '';
      const params = mergeParams(request.body as KeysParams | undefined, request.query as KeysParams);
      const parsed = parseKeysRequest(request.method as KeysMethod, `/${key}`, params, Date.now());
      switch (parsed.kind) {
        case 'error':
          return sendError(reply, member, parsed.error);
        case 'read': {
          if (parsed.quorum) await member.linearizableRead();
          let event: StoreEvent;
          try {
            event = member.store.get(parsed.key, { recursive: parsed.recursive, sorted: parsed.sorted, now: Date.now() });
          } catch (error) {
            return sendError(reply, member, error);
          }
          void reply.headers(member.headers(member.store.index)).code(200);
          return request.method === 'HEAD' ? reply.send() : reply.send(keysResponseBody(event, parsed.noValueOnSuccess));
        }
        case 'write': {
          const result = await member.propose(parsed.command);
          if (!result.ok) return sendError(reply, member, result.error);
          const event = result.event as StoreEvent;
          return reply.headers(member.headers(result.storeIndex)).code(eventStatusCode(event)).send(keysResponseBody(event, parsed.noValueOnSuccess));
        }
        case 'watch': {
          let watcher: Watcher;
          try {
            watcher = member.store.watch(parsed.key, { recursive: parsed.recursive, stream: parsed.stream, sinceIndex: parsed.sinceIndex });
          } catch (error) {
            return sendError(reply, member, error);
          }
          return serveWatch(request, reply, member, watcher);
        }
      }
    };
    for (const url of ['/v2/keys', '/v2/keys/*']) {
      scope.route({ method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'], url, handler, exposeHeadRoute: false });
    }
  });
}

/**
 * A watch answers 200 with its headers at once (clients learn the watch is in place) and the
 * event when it comes; a stream writes one JSON event per line until the client goes away. A
 * client that disconnects cancels its watcher, so a gone watcher costs nothing.
 */
async function serveWatch(request: FastifyRequest, reply: FastifyReply, member: KvMember, watcher: Watcher): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'application/json', ...member.headers(watcher.startIndex) });
  raw.flushHeaders();
  const onClose = () => watcher.cancel();
  request.raw.socket.once('close', onClose);
  member.watchers.add(watcher);
  try {
    do {
      const event = await watcher.next();
      raw.write(`${JSON.stringify(event)}\n`);
    } while (watcher.stream);
  } catch (error) {
    if (!(error instanceof WatcherClosedError)) throw error;
  } finally {
    request.raw.socket.off('close', onClose);
    member.watchers.delete(watcher);
    watcher.cancel();
    raw.end();
  }
}

function sendError(reply: FastifyReply, member: KvMember, error: unknown): FastifyReply {
  if (!(error instanceof StoreError)) throw error;
  return reply.headers(member.headers(error.index)).code(error.statusCode).send(error.toJSON());
}

function formParams(body: string): Record<string, string[]> {
  const params: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(body)) (params[name] ??= []).push(value);
  return params;
}

/** Go's r.Form: values from the body come before values from the query string. */
function mergeParams(body: KeysParams | undefined, query: KeysParams): KeysParams {
  if (!body || Object.keys(body).length === 0) return query;
  const merged: Record<string, string | readonly string[] | undefined> = { ...query };
  for (const [name, value] of Object.entries(body)) {
    const fromQuery = query[name];
    merged[name] = [...toArray(value), ...toArray(fromQuery)];
  }
  return merged;
}

function toArray(value: string | readonly string[] | undefined): readonly string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}
