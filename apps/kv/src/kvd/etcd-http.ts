import type { FastifyInstance, FastifyReply } from 'fastify';
import { StoreError } from '@minicore/kv-store';

/* How etcd's Go HTTP server answers, reproduced for every kvd client route: headers, bodies, redirects. */

/** etcd's client listener wraps every handler in CORS (default origin `*`); these are its headers. */
const CORS_HEADERS = {
  'access-control-allow-methods': 'POST, GET, OPTIONS, PUT, DELETE',
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'accept, content-type, authorization',
} as const;

/**
 * What etcd's Go server does for every client request before any handler: CORS headers on every
 * answer, OPTIONS answered 200 (the CORS preflight), and a 301 to the clean path for a path with
 * `//`, `.` or `..` segments (Go's ServeMux). Hooks on the root instance, so that they also cover
 * /health, /metrics and unknown paths.
 */
export function installEtcdHttpConventions(app: FastifyInstance): void {
  // A callback hook, not an async one: it runs on every request, and a promise per request shows in profiles.
  app.addHook('onRequest', (request, reply, done) => {
    void reply.headers(CORS_HEADERS);
    if (request.method === 'OPTIONS') {
      void reply.code(200).header('content-length', '0').send();
      return;
    }
    const raw = request.raw.url ?? '/';
    const mark = raw.indexOf('?');
    const rawPath = mark === -1 ? raw : raw.slice(0, mark);
    const clean = cleanPathOf(rawPath);
    if (clean === undefined) {
      done();
      return;
    }
    const location = escapeGoPath(clean) + (mark === -1 ? '' : raw.slice(mark));
    void reply.code(301).header('location', location);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      void reply.header('content-length', '0').send();
      return;
    }
    const body = `<a href="${htmlEscape(location)}">Moved Permanently</a>.\n\n`;
    void reply.type('text/html; charset=utf-8').header('content-length', String(Buffer.byteLength(body))).send(request.method === 'HEAD' ? undefined : body);
  });
}

/** The clean path Go would redirect `rawPath` to, or undefined when it is clean already (or not decodable: left to the router). */
function cleanPathOf(rawPath: string): string | undefined {
  // Most paths have nothing to clean: no escapes, no `//`, no dot segments.
  if (rawPath.startsWith('/') && !/%|\/\/|\/\.(?:\.)?(?:\/|$)/.test(rawPath)) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  const clean = goCleanPath(decoded);
  return clean === decoded ? undefined : clean;
}

/**
 * Sends JSON as etcd's handlers do: `Content-Type: application/json` without a charset, and (for
 * bodies written with Go's json.Encoder: keys, members) a trailing newline. Content-Length is set
 * explicitly so that HEAD answers carry the length of the body a GET would get, as Go's server does.
 */
export function sendEtcdJson(reply: FastifyReply, status: number, body: unknown, headers: Record<string, string> = {}, newline = true): FastifyReply {
  // A Buffer, because fastify appends `; charset=utf-8` to a JSON content type sent with a string.
  const bytes = Buffer.from(JSON.stringify(body) + (newline ? '\n' : ''), 'utf8');
  return reply.code(status).headers(headers).header('content-type', 'application/json').header('content-length', String(bytes.length)).send(bytes);
}

/** Go's allowMethod: 405, `Allow` listing the methods, and http.Error's plain-text body. */
export function methodNotAllowed(reply: FastifyReply, allowed: readonly string[]): FastifyReply {
  const text = 'Method Not Allowed\n';
  return reply
    .code(405)
    .header('allow', allowed.join(','))
    .header('content-type', 'text/plain; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .header('content-length', String(Buffer.byteLength(text)))
    .send(text);
}

/** etcd errors raised while waiting on Raft (timeouts, no leader) answer in etcd's error JSON. */
export function handleStoreErrors(scope: FastifyInstance): void {
  scope.setErrorHandler(async (error, _request, reply) => {
    if (error instanceof StoreError) return sendEtcdJson(reply, error.statusCode, error.toJSON());
    throw error;
  });
}

/** Go's cleanPath (net/http): path.Clean, keeping a trailing slash. */
export function goCleanPath(p: string): string {
  if (p === '') return '/';
  if (!p.startsWith('/')) p = `/${p}`;
  const parts: string[] = [];
  for (const segment of p.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') parts.pop();
    else parts.push(segment);
  }
  let clean = `/${parts.join('/')}`;
  if (p.endsWith('/') && clean !== '/') clean += '/';
  return clean;
}

/** Go's url.URL{Path}.String(): escapes all but unreserved characters and `$&+,/:;=@`. */
function escapeGoPath(p: string): string {
  let out = '';
  for (const byte of Buffer.from(p, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~$&+,/:;=@]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function htmlEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&#34;').replaceAll("'", '&#39;');
}
