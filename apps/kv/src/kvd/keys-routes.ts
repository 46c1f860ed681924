import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, StoreError, WatcherClosedError, eventStatusCode, keysResponseBody, parseKeysRequest, type KeysMethod, type StoreEvent, type Watcher } from '@minicore/kv-store';
import { handleStoreErrors, installEtcdHttpConventions, methodNotAllowed, sendEtcdJson } from './etcd-http.js';
import { mediaType, parseGoQuery } from './go-query.js';
import type { KvMember } from './member.js';

/** The methods etcd's keys handler serves; any other answers 405 with this list in `Allow`. */
const KEYS_METHODS = ['HEAD', 'GET', 'PUT', 'POST', 'DELETE'] as const;

/** What the body parser hands the handler: a form (maybe with Go's parse error), or nothing. */
interface ParsedBody {
  form?: Record<string, string[]>;
  error?: string;
}

/**
 * etcd's v2 keys API on /v2/keys: reads from the local store (through ReadIndex with quorum=true),
 * writes through Raft, watches as long polls or streams. Parameters are parsed as Go's r.ParseForm
 * does (same errors, same merge order): a urlencoded body on PUT and POST, then the query string;
 * any other body is drained and ignored, as etcd ignores it.
 */
export async function registerKeysRoutes(app: FastifyInstance, member: KvMember): Promise<void> {
  installEtcdHttpConventions(app);
  await app.register(async (scope) => {
    handleStoreErrors(scope);
    scope.removeAllContentTypeParsers();
    // Go reads at most 10 MiB of form; kvd keeps its own (smaller) body limit and answers as Go does past it.
    const formLimit = scope.initialConfig.bodyLimit ?? 1024 * 1024;
    scope.addContentTypeParser('*', (request, payload, done) => {
      const isForm = mediaType(request.headers['content-type']) === 'application/x-www-form-urlencoded';
      const chunks: Buffer[] = [];
      let size = 0;
      payload.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (isForm && size <= formLimit) chunks.push(chunk);
      });
      payload.on('error', (error) => done(error, undefined));
      payload.on('end', () => {
        if (!isForm) return done(null, {});
        if (size > formLimit) return done(null, { error: 'http: POST too large' } satisfies ParsedBody);
        const form: Record<string, string[]> = {};
        const error = parseGoQuery(Buffer.concat(chunks).toString('latin1'), form);
        done(null, { form, ...(error === undefined ? {} : { error }) } satisfies ParsedBody);
      });
    });

    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const key = (request.params as { '*'?: string })['*'] ?? '';
      const form = goForm(request);
      if (form.error !== undefined) return sendError(reply, member, new StoreError(ErrorCode.InvalidForm, form.error));
      const parsed = parseKeysRequest(request.method as KeysMethod, `/${key}`, form.params, Date.now());
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
          return sendEtcdJson(reply, 200, keysResponseBody(event, parsed.noValueOnSuccess), member.headers(member.store.index));
        }
        case 'write': {
          const result = await member.propose(parsed.command);
          if (!result.ok) return sendError(reply, member, result.error);
          const event = result.event as StoreEvent;
          return sendEtcdJson(reply, eventStatusCode(event), keysResponseBody(event, parsed.noValueOnSuccess), member.headers(result.storeIndex));
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
      scope.route({ method: [...KEYS_METHODS], url, handler, exposeHeadRoute: false });
      scope.route({ method: ['PATCH', 'TRACE'], url, handler: (_request, reply) => methodNotAllowed(reply, KEYS_METHODS), exposeHeadRoute: false });
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
  raw.writeHead(200, { ...replyHeaders(reply), 'content-type': 'application/json', ...member.headers(watcher.startIndex) });
  raw.flushHeaders();
  const onClose = () => watcher.cancel();
  request.raw.socket.once('close', onClose);
  member.trackWatcher(watcher);
  try {
    do {
      const event = await watcher.next();
      // Answer the writer first: its reply is queued behind the watchers the same apply woke up.
      await new Promise((resolve) => setImmediate(resolve));
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

/** Headers already set on the reply by hooks (CORS), which a hijacked reply would otherwise lose. */
function replyHeaders(reply: FastifyReply): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) if (typeof value === 'string') headers[name] = value;
  return headers;
}

/** etcd's key errors carry X-Etcd-Cluster-Id and X-Etcd-Index, but not the Raft headers of a success. */
function sendError(reply: FastifyReply, member: KvMember, error: unknown): FastifyReply {
  if (!(error instanceof StoreError)) throw error;
  const headers = member.headers(error.index);
  const errorHeaders = { 'x-etcd-cluster-id': headers['x-etcd-cluster-id'] ?? '', 'x-etcd-index': String(error.index) };
  return sendEtcdJson(reply, error.statusCode, error.toJSON(), errorHeaders);
}

/**
 * Go's r.ParseForm as etcd calls it: the form of a PUT/POST body first, then the query string;
 * the first error wins (a body that was too large, a bad escape, a `;` separator).
 */
function goForm(request: FastifyRequest): { params: Record<string, string[]>; error?: string } {
  const params: Record<string, string[]> = {};
  let error: string | undefined;
  if (request.method === 'PUT' || request.method === 'POST') {
    const body = request.body as ParsedBody | undefined;
    for (const [name, values] of Object.entries(body?.form ?? {})) (params[name] ??= []).push(...values);
    error = body?.error;
  }
  const url = request.raw.url ?? '';
  const mark = url.indexOf('?');
  const queryError = mark === -1 ? undefined : parseGoQuery(url.slice(mark + 1), params);
  return { params, ...((error ?? queryError) === undefined ? {} : { error: error ?? queryError }) };
}

