import { METHODS, mutatePath, randomBody, randomQuery } from './inputs.js';
import type { FuzzPrng } from './prng.js';
import type { RawOutcome, RawRequest } from './raw-http.js';

export type DaemonName = 'kvd' | 'kvd-peer' | 'schedulerd' | 'update-server';

/** One generated request and what its answer must look like. */
export interface FuzzCase {
  /** The input class, e.g. `kvd ttl NaN`. */
  kind: string;
  request: RawRequest;
  /** Oversized heads and unparseable requests may be answered by closing the connection. */
  allowClose?: boolean;
  /** The documented answer for this input: a problem description, or undefined when it is right. */
  expect?: (answer: Answer) => string | undefined;
}

export interface Answer {
  status: number;
  head: string;
  body: string;
}

export const ADMIN_TOKEN = 't';

/** etcd's v2 error codes (etcd's v2error package) that kvd may answer a bad keys request with. */
export const ETCD_ERROR_CODES = new Set([100, 101, 102, 104, 105, 106, 107, 108, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 300, 301, 400, 401]);
/** fleet's documented API error statuses. */
export const FLEET_STATUSES = new Set([400, 404, 405, 409, 413, 415]);

function json(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function expectStatus(status: number, check?: (body: unknown, answer: Answer) => string | undefined) {
  return (answer: Answer): string | undefined => {
    if (answer.status !== status) return `expected ${status}, got ${answer.status}`;
    return check?.(json(answer.body), answer);
  };
}

const etcdCode = (code: number) => (body: unknown) => ((body as { errorCode?: number } | undefined)?.errorCode === code ? undefined : `expected etcd errorCode ${code}, body ${JSON.stringify(body)}`);
const fleetBody = (status: number) => (body: unknown) => ((body as { error?: { code?: number } } | undefined)?.error?.code === status ? undefined : `expected fleet error body {"error":{"code":${status}}}, body ${JSON.stringify(body)}`);
const minicoreCode = (code: string) => (body: unknown) => ((body as { error?: { code?: string } } | undefined)?.error?.code === code ? undefined : `expected error code ${code}, body ${JSON.stringify(body)}`);

const KV_PATHS = ['/v2/keys', '/v2/keys/', '/v2/keys/fuzz', '/v2/keys/fuzz/a/b', '/v2/members', '/v2/members/leader', '/v2/members/8e9e05c52164694d', '/v2/machines', '/v2/leader', '/v2/stats/self', '/v2/stats/store', '/v2/stats/leader', '/version', '/health', '/metrics', '/nope'];
const KV_PARAMS = ['value', 'ttl', 'dir', 'prevExist', 'prevValue', 'prevIndex', 'recursive', 'sorted', 'wait', 'waitIndex', 'stream', 'quorum', 'refresh', 'noValueOnSuccess'];
const PEER_PATHS = ['/members', '/raft', '/raft/stream', '/raft/propose', '/raft/message', '/version', '/health', '/nope'];
const FLEET_PATHS = ['/fleet/v1/units', '/fleet/v1/units/fuzz.service', '/fleet/v1/units/a@.service', '/fleet/v1/units/', '/fleet/v1/state', '/fleet/v1/machines', '/fleet/v1/discovery', '/fleet/v1/discovery.json', '/minicore/v1/units/fuzz.service/status', '/minicore/v1/units/fuzz.service/journal', '/health', '/metrics', '/nope'];
const FLEET_PARAMS = ['nextPageToken', 'lines', 'unitName', 'machineID'];
const UPDATE_PATHS = ['/v1/update/', '/v1/update', '/packages/x/y.tar.gz', '/api', '/api/apps', '/api/packages', '/api/channels', '/api/channels/stable', '/api/groups', '/api/groups/g', '/api/groups/g/pause', '/api/groups/g/rollout', '/api/instances', '/api/instances/i', '/api/activity', '/health', '/metrics', '/nope'];
const UPDATE_PARAMS = ['app', 'limit', 'all', 'group'];

/** A request with nothing but garbage: random method, mutated path, garbage query, headers and body. */
function randomRequest(rng: FuzzPrng, paths: readonly string[], params: readonly string[], extraHeaders: [string, string][] = []): RawRequest {
  const { body, contentType } = randomBody(rng, params);
  const headers: [string, string][] = [...extraHeaders];
  if (contentType !== undefined) headers.push(['Content-Type', contentType]);
  if (rng.chance(0.05)) headers.push(['Accept', rng.token(30)]);
  if (rng.chance(0.05)) headers.push(['Range', rng.pick(['bytes=0-', 'bytes=-1', 'bytes=99999999-1', 'bytes=a-b', 'bytes=0-1,2-3,4-5'])]);
  return { method: rng.pick(METHODS), target: mutatePath(rng, rng.pick(paths)) + randomQuery(rng, params), headers, body };
}

/** Inputs whose Node/HTTP-level answer is the same on every daemon: huge heads, bodies, broken framing. */
function protocolCase(rng: FuzzPrng, path: string): FuzzCase {
  const kind = rng.int(0, 5);
  switch (kind) {
    case 0:
      // 64 KiB header value: over Node's 16 KiB head limit, answered 431 (or the connection closed).
      return { kind: 'huge header (64 KiB)', request: { method: 'GET', target: path, headers: [['X-Fuzz', 'h'.repeat(64 * 1024)]], body: Buffer.alloc(0) }, allowClose: true, expect: (a) => (a.status === 431 || a.status === 400 ? undefined : `expected 431, got ${a.status}`) };
    case 1:
      // A few MiB in the URL: same head limit.
      return { kind: 'huge URL (2 MiB)', request: { method: 'GET', target: `${path}?value=${'u'.repeat(2 * 1024 * 1024)}`, headers: [], body: Buffer.alloc(0) }, allowClose: true, expect: (a) => (a.status === 431 || a.status === 414 || a.status === 400 ? undefined : `expected 431, got ${a.status}`) };
    case 2:
      return { kind: 'invalid Content-Length', request: { method: 'POST', target: path, headers: [['Content-Length', rng.pick(['abc', '-1', '1, 2', '99999999999999999999'])]], body: Buffer.from('x') }, allowClose: true, expect: (a) => (a.status === 400 || a.status === 413 ? undefined : `expected 400, got ${a.status}`) };
    case 3:
      return { kind: 'broken chunked body', request: { method: 'POST', target: path, headers: [['Transfer-Encoding', 'chunked'], ['Content-Type', 'application/json']], body: Buffer.from(rng.pick(['zz\r\n{}\r\n0\r\n\r\n', '5\r\n{}\r\n0\r\n\r\n', '1ffffffffffffffff\r\nx\r\n'])) }, allowClose: true, expect: (a) => (a.status === 400 ? undefined : `expected 400, got ${a.status}`) };
    case 4:
      return { kind: 'garbage request line', request: { method: rng.pick(['G ET', '\u0001', 'GET\tGET', '']), target: `${path} x`, headers: [], body: Buffer.alloc(0) }, allowClose: true, expect: (a) => (a.status === 400 ? undefined : `expected 400, got ${a.status}`) };
    default:
      return { kind: 'header with control bytes', request: { method: 'GET', target: path, headers: [['X-Fuzz', 'a\u0000b\u007f'], [rng.token(5).replaceAll(':', ''), '']], body: Buffer.alloc(0) }, allowClose: true, expect: (a) => (a.status === 400 || a.status < 300 ? undefined : `expected 400, got ${a.status}`) };
  }
}

const garbage = (rng: FuzzPrng) => rng.pick(['abc', 'NaN', '1e999', '-1x', '0x1g', '%41%42', '', ' ', 'true']);

function kvCase(rng: FuzzPrng): FuzzCase {
  const roll = rng.next();
  if (roll < 0.1) return protocolCase(rng, '/v2/keys/fuzz');
  if (roll < 0.4) {
    const key = `/v2/keys/fuzz/${rng.int(0, 9)}`;
    const form = (body: string): RawRequest => ({ method: rng.pick(['PUT', 'POST']), target: key, headers: [['Content-Type', 'application/x-www-form-urlencoded']], body: Buffer.from(body) });
    const bad = garbage(rng).replace(/^$/, 'x').replace(/^true$/, 'x').replace(/^ $/, 'x');
    switch (rng.int(0, 6)) {
      case 0:
        return { kind: 'kvd ttl NaN', request: form(`value=v&ttl=${encodeURIComponent(bad)}`), expect: expectStatus(400, etcdCode(202)) };
      case 1:
        return { kind: 'kvd prevIndex NaN', request: { ...form(`value=v&prevIndex=${encodeURIComponent(bad)}`), method: 'PUT' }, expect: expectStatus(400, etcdCode(203)) };
      case 2:
        return { kind: 'kvd bad form escape', request: form(`value=${rng.pick(['%', '%zz', '%G1', 'a%2'])}`), expect: expectStatus(400, etcdCode(210)) };
      case 3:
        return { kind: 'kvd bad query escape', request: { method: 'GET', target: `${key}?recursive=${rng.pick(['%', '%zz', 'a%2'])}`, headers: [], body: Buffer.alloc(0) }, expect: expectStatus(400, etcdCode(210)) };
      case 4:
        return { kind: 'kvd invalid boolean field', request: { method: 'GET', target: `${key}?${rng.pick(['recursive', 'sorted', 'quorum', 'wait'])}=${rng.pick(['maybe', 'yes', '2'])}`, headers: [], body: Buffer.alloc(0) }, expect: expectStatus(400, etcdCode(209)) };
      case 5: {
        // A few MiB of value: over kvd's body limit.
        const size = rng.int(2, 4) * 1024 * 1024;
        return { kind: 'kvd huge value', request: { method: 'PUT', target: key, headers: [['Content-Type', 'application/x-www-form-urlencoded']], body: Buffer.concat([Buffer.from('value='), Buffer.alloc(size, 'v')]) }, expect: (a) => (a.status === 413 || (a.status === 400 && etcdCode(210)(json(a.body)) === undefined) ? undefined : `expected 413 or 400 errorCode 210, got ${a.status} ${a.body.slice(0, 200)}`) };
      }
      default:
        return { kind: 'kvd method not allowed', request: { method: rng.pick(['PATCH', 'TRACE']), target: key, headers: [], body: Buffer.alloc(0) }, expect: expectStatus(405) };
    }
  }
  const request = randomRequest(rng, KV_PATHS, KV_PARAMS);
  return {
    kind: 'kvd random',
    request,
    allowClose: !/^[A-Z-]+$/.test(request.method),
    expect: (a) => {
      // Every etcd-JSON error body on the keys API names an etcd error code.
      const body = json(a.body) as { errorCode?: unknown } | undefined;
      if (a.status >= 400 && body && typeof body === 'object' && 'errorCode' in body && !ETCD_ERROR_CODES.has(body.errorCode as number)) return `unknown etcd errorCode ${String(body.errorCode)}`;
      return undefined;
    },
  };
}

function peerCase(rng: FuzzPrng): FuzzCase {
  if (rng.chance(0.1)) return protocolCase(rng, '/members');
  const request = randomRequest(rng, PEER_PATHS, ['x']);
  return { kind: 'kvd-peer random', request, allowClose: !/^[A-Z-]+$/.test(request.method) };
}

function fleetCase(rng: FuzzPrng): FuzzCase {
  const roll = rng.next();
  if (roll < 0.1) return protocolCase(rng, '/fleet/v1/units');
  if (roll < 0.4) {
    const unit = `/fleet/v1/units/fuzz${rng.int(0, 9)}.service`;
    switch (rng.int(0, 5)) {
      case 0:
        return { kind: 'fleet PUT without JSON content type', request: { method: 'PUT', target: unit, headers: rng.chance(0.5) ? [['Content-Type', rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx'])]] : [], body: Buffer.from('{"desiredState":"inactive"}') }, expect: expectStatus(415, fleetBody(415)) };
      case 1:
        return { kind: 'fleet PUT bad JSON', request: { method: 'PUT', target: unit, headers: [['Content-Type', 'application/json']], body: Buffer.from(rng.pick(['{', '{"desiredState":', '[1,', 'nul', '{"a":1}x'])) }, expect: expectStatus(400, fleetBody(400)) };
      case 2:
        return { kind: 'fleet PUT invalid desiredState', request: { method: 'PUT', target: unit, headers: [['Content-Type', 'application/json']], body: Buffer.from(JSON.stringify({ desiredState: rng.pick(['running', 'LAUNCHED', '', 'x'.repeat(1000)]) })) }, expect: expectStatus(400, fleetBody(400)) };
      case 3:
        return { kind: 'fleet bad page token', request: { method: 'GET', target: `/fleet/v1/${rng.pick(['units', 'state', 'machines'])}?nextPageToken=${rng.pick(['zzz', '%25%25', 'AAAA', '-1', 'eyJ4IjoxfQ'])}`, headers: [], body: Buffer.alloc(0) }, expect: expectStatus(400, fleetBody(400)) };
      case 4:
        return { kind: 'fleet unknown unit', request: { method: 'GET', target: `/fleet/v1/units/nope-${rng.int(0, 1e6)}.service`, headers: [], body: Buffer.alloc(0) }, expect: expectStatus(404, fleetBody(404)) };
      default:
        return { kind: 'fleet method not allowed', request: { method: rng.pick(['PATCH', 'POST']), target: '/fleet/v1/units', headers: [], body: Buffer.alloc(0) }, expect: expectStatus(405, fleetBody(405)) };
    }
  }
  const request = randomRequest(rng, FLEET_PATHS, FLEET_PARAMS);
  return {
    kind: 'schedulerd random',
    request,
    allowClose: !/^[A-Z-]+$/.test(request.method),
    expect: (a) => {
      // Errors under fleet's API carry fleet's body with the status as its code.
      if (a.status < 400 || a.status === 404 || request.method === 'HEAD' || !/^\/fleet\/v1\//.test(request.target)) return undefined;
      if (!FLEET_STATUSES.has(a.status)) return `status ${a.status} is not one of fleet's documented errors`;
      return fleetBody(a.status)(json(a.body));
    },
  };
}

function updateCase(rng: FuzzPrng): FuzzCase {
  const roll = rng.next();
  if (roll < 0.1) return protocolCase(rng, '/v1/update/');
  if (roll < 0.4) {
    switch (rng.int(0, 3)) {
      case 0:
      case 1: {
        // Never a well-formed Omaha request (an unknown appid in one is answered 200, as Omaha does).
        const broken = ['', '<request protocol="3.0"', '\u0000\u0001<<<>>>', '<?xml version="1.0"?><response/>', '<?xml version="1.0"?><request protocol="2.0"><app/></request>', 'not xml', '<request protocol="3.0">' + '<app>'.repeat(5000) + '</request>', '{"request":{}}'];
        const xml = rng.chance(0.7) ? Buffer.from(rng.pick(broken)) : rng.bytes(rng.int(1, 4096));
        return { kind: 'omaha malformed XML', request: { method: 'POST', target: rng.pick(['/v1/update/', '/v1/update']), headers: [['Content-Type', rng.pick(['text/xml', 'application/xml', 'application/octet-stream', 'text/plain'])]], body: xml }, expect: expectStatus(400, minicoreCode('MC_ERR_OMAHA_MALFORMED')) };
      }
      case 2:
        return { kind: 'admin API without token', request: { method: rng.pick(['GET', 'POST', 'PUT']), target: rng.pick(['/api', '/api/apps', '/api/groups', '/api/channels/x?app=y']), headers: rng.chance(0.5) ? [['Authorization', rng.pick(['Bearer', 'Bearer x', 'Basic dDp0', 'Bearer tt', `Bearer ${'t'.repeat(5000)}`])]] : [], body: Buffer.alloc(0) }, expect: expectStatus(401, minicoreCode('MC_ERR_UNAUTHORIZED')) };
      default:
        return { kind: 'update-server unknown route', request: { method: 'GET', target: `/nope/${rng.int(0, 1e6)}`, headers: [], body: Buffer.alloc(0) }, expect: expectStatus(404, minicoreCode('MC_ERR_ROUTE_NOT_FOUND')) };
    }
  }
  const auth: [string, string][] = rng.chance(0.6) ? [['Authorization', `Bearer ${ADMIN_TOKEN}`]] : [];
  const request = randomRequest(rng, UPDATE_PATHS, UPDATE_PARAMS, auth);
  return {
    kind: 'update-server random',
    request,
    allowClose: !/^[A-Z-]+$/.test(request.method),
    expect: (a) => {
      if (a.status < 400 || request.method === 'HEAD') return undefined;
      const body = json(a.body) as { error?: { code?: unknown; statusCode?: unknown } } | undefined;
      if (typeof body?.error?.code !== 'string' || body.error.statusCode !== a.status) return `expected {"error":{"code":"...","statusCode":${a.status}}}, body ${a.body.slice(0, 200)}`;
      return undefined;
    },
  };
}

export const GENERATORS: Record<DaemonName, (rng: FuzzPrng) => FuzzCase> = {
  kvd: kvCase,
  'kvd-peer': peerCase,
  schedulerd: fleetCase,
  'update-server': updateCase,
};

/** The problem with an outcome for a case, or undefined when the daemon answered as documented. */
export function judge(fuzzCase: FuzzCase, outcome: RawOutcome): string | undefined {
  if (outcome.kind === 'timeout') return 'no answer within the timeout';
  if (outcome.kind === 'closed') return fuzzCase.allowClose ? undefined : outcome.detail;
  if (outcome.status >= 500) return `server error ${outcome.status}: ${outcome.body.slice(0, 300)}`;
  // A request Node's HTTP parser rejects (bad method, space or control byte in the request line,
  // broken framing) never reaches the daemon's routes: fastify's clientError answer is the right one.
  if (outcome.status === 400 && isFramingError(outcome.body)) return undefined;
  return fuzzCase.expect?.(outcome);
}

/** fastify's answer to a request Node's HTTP parser rejected (its clientError handler). */
export function isFramingError(body: string): boolean {
  const parsed = json(body) as { error?: unknown; message?: unknown; statusCode?: unknown } | undefined;
  return parsed?.error === 'Bad Request' && parsed.message === 'Client Error' && parsed.statusCode === 400;
}

/** How to show a request in a failure report: method, target and headers cut short, body length and head. */
export function describeRequest(request: RawRequest): string {
  const cut = (s: string, n = 200) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);
  const headers = request.headers.map(([n, v]) => `${n}: ${cut(v, 80)}`).join(' | ');
  return `${JSON.stringify(request.method)} ${JSON.stringify(cut(request.target))} [${headers}] body(${request.body.length} B)=${JSON.stringify(cut(request.body.toString('latin1'), 120))}`;
}
