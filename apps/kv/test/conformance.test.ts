import { request as httpRequest, type IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KvdCluster } from '@minicore/kvd-testing';
import { etcdAvailable, etcdHeaderNames, form, keysPath, normalizeBody, rawRequest, startReferenceEtcd, type RawRequest, type RawResponse, type ReferenceEtcd } from './support/etcd-reference.js';

/**
 * Differential tests of kvd's v2 keys API against a real etcd 3.4 (Debian's etcd-server): the same
 * requests go to both, fresh, and their answers must match once what must differ is normalized
 * (store indexes relative to each store's start, expiration times, Raft indexes and cluster ids).
 */

interface Transcript {
  startIndex: number;
  records: { method: string; key: string; params: Record<string, string>; status: number; etcdIndex: number; body: unknown }[];
}
const transcript = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, '../../../libs/kv-store/src/fixtures/etcd-transcript.json'), 'utf8'),
) as Transcript;

interface Server {
  name: 'etcd' | 'kvd';
  endpoint: string;
  /** The store index before the first request of this file. */
  origin: number;
  /** The store index indexes are compared relative to: re-read before each test, so one divergence does not cascade. */
  start: number;
}

let etcd: ReferenceEtcd | undefined;
let cluster: KvdCluster | undefined;
const servers: Server[] = [];

const shiftIndex = (value: string | string[] | undefined, start: number) => (value === undefined ? undefined : Number(value) === 0 ? 0 : Number(value) - start);

/** What must be equal between the two servers' answers. */
function comparable(server: Server, response: RawResponse, options: { sortNodes?: boolean } = {}) {
  return {
    status: response.status,
    body: response.json === undefined ? response.text : normalizeBody(response.json, server.start, options),
    etcdIndex: shiftIndex(response.headers['x-etcd-index'], server.start),
    etcdHeaders: etcdHeaderNames(response.headers),
    contentType: response.headers['content-type'],
    location: response.headers['location'],
    allow: response.headers['allow'],
    cors: response.headers['access-control-allow-origin'],
  };
}

async function both(method: string, requestPath: string, options: RawRequest = {}): Promise<[RawResponse, RawResponse]> {
  const [a, b] = servers as [Server, Server];
  // One after the other: the two answers must not depend on each other's timing.
  const first = await rawRequest(a.endpoint, method, requestPath, options);
  const second = await rawRequest(b.endpoint, method, requestPath, options);
  return [first, second];
}

async function expectSame(method: string, requestPath: string, options: RawRequest & { sortNodes?: boolean } = {}): Promise<[RawResponse, RawResponse]> {
  const [e, k] = await both(method, requestPath, options);
  const sortNodes = !/[?&]sorted=true/.test(requestPath);
  expect(comparable(servers[1]!, k, { sortNodes }), `${method} ${requestPath}`).toEqual(comparable(servers[0]!, e, { sortNodes }));
  return [e, k];
}

beforeAll(async () => {
  if (!etcdAvailable) return;
  [etcd, cluster] = await Promise.all([startReferenceEtcd(), KvdCluster.start(1)]);
  for (const [name, endpoint] of [['etcd', etcd.endpoint], ['kvd', cluster.members[0]!.clientUrl]] as const) {
    const root = await rawRequest(endpoint, 'GET', '/v2/keys/');
    const index = Number(root.headers['x-etcd-index']);
    servers.push({ name, endpoint, origin: index, start: index });
  }
});

beforeEach(async () => {
  for (const server of servers) server.start = Number((await rawRequest(server.endpoint, 'GET', '/v2/keys/')).headers['x-etcd-index']);
});

afterAll(async () => {
  await Promise.all([etcd?.stop(), cluster?.destroy()]);
});

describe.skipIf(!etcdAvailable)('kvd speaks etcd v2 keys API (differential against etcd 3.4)', () => {
  it('replays the kv-store transcript identically on both (and etcd still answers as recorded)', async () => {
    const mismatches: unknown[] = [];
    for (const record of transcript.records) {
      const requestPath = keysPath(record.key, record.params);
      const [e, k] = await both(record.method, requestPath);
      const sortNodes = record.params['sorted'] !== 'true';
      const want = comparable(servers[0]!, e, { sortNodes });
      const got = comparable(servers[1]!, k, { sortNodes });
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push({ request: `${record.method} ${requestPath}`, etcd: want, kvd: got });
      const recorded = { status: record.status, body: record.body === null ? '' : normalizeBody(record.body, transcript.startIndex, { sortNodes }) };
      const live = { status: e.status, body: e.json === undefined ? e.text : want.body };
      if (JSON.stringify(live) !== JSON.stringify(recorded)) mismatches.push({ request: `${record.method} ${requestPath}`, recorded, liveEtcd: live });
    }
    expect(mismatches).toEqual([]);
  });

  it('merges form bodies and query strings as Go does, and ignores bodies that are not forms', async () => {
    await expectSame('PUT', '/v2/keys/c/fq?value=query', form({ value: 'form' }));
    await expectSame('PUT', '/v2/keys/c/fq?value=query', { headers: { 'content-type': 'application/json' }, body: '{"value":"json"}' });
    await expectSame('PUT', '/v2/keys/c/fq', { headers: { 'content-type': 'text/plain' }, body: 'value=plain' });
    await expectSame('PUT', '/v2/keys/c/fq', { headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }, body: 'value=charset' });
    await expectSame('PUT', '/v2/keys/c/fq', { headers: { 'content-type': 'Application/X-WWW-Form-Urlencoded' }, body: 'value=upper+case%21' });
    await expectSame('PUT', '/v2/keys/c/fq?value=x&bogus=1&Value=y', form({ unknown: 'z' }));
    await expectSame('POST', '/v2/keys/c/fq2', form({ value: 'posted', dir: 'false' }));
    // Go parses a body only on POST, PUT and PATCH: a DELETE's form is ignored.
    await expectSame('DELETE', '/v2/keys/c/fq', form({ prevValue: 'no match' }));
    await expectSame('GET', '/v2/keys/c?recursive=true', form({ recursive: 'false' }));
  });

  it('answers malformed forms and queries with etcd\'s 210 errors', async () => {
    for (const body of ['value=%zz', 'value=a;b', 'value=%', 'value=%4', 'a=1&value=%g0&b=%zz', 'value=ok&x;y=1']) {
      await expectSame('PUT', '/v2/keys/c/bad', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    }
    for (const query of ['value=%zz', 'value=a;b=c', 'value=ok&%=1', 'recursive=%zz']) await expectSame('PUT', `/v2/keys/c/bad?${query}`);
    await expectSame('GET', '/v2/keys/c?recursive=%zz');
    await expectSame('PUT', '/v2/keys/c/bad?value=%zz', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'value=a;b' });
  });

  it('validates ttl, prevIndex, prevExist and booleans as etcd does', async () => {
    const writes: Record<string, string>[] = [
      { value: 'v', ttl: '1.5' },
      { value: 'v', ttl: ' 5' },
      { value: 'v', prevIndex: '-1' },
      { value: 'v', prevIndex: '0' },
      { value: 'v', prevExist: 'TRUE' },
      { value: 'v', prevExist: 't' },
      { value: 'v', prevExist: 'F' },
      { value: 'v', dir: '1' },
      { value: 'v', refresh: 'true', ttl: '5', prevExist: 'true' },
      { dir: 'true', ttl: '100' },
    ];
    for (const params of writes) {
      await expectSame('PUT', keysPath('/c/valid', params));
    }
    const reads: Record<string, string>[] = [{ recursive: '1' }, { recursive: 'T' }, { sorted: 'FALSE' }, { wait: 'true', waitIndex: '-1' }, { quorum: 'true' }];
    for (const params of reads) {
      await expectSame('GET', keysPath('/c', params));
    }
  });

  it('serves HEAD with the GET headers and no body, and 405/OPTIONS as Go does', async () => {
    const [e, k] = await expectSame('HEAD', '/v2/keys/c/fq2');
    expect(k.text).toBe('');
    expect(k.headers['content-length']).toBeDefined();
    expect(e.headers['content-length']).toBeDefined();
    await expectSame('HEAD', '/v2/keys/c/none');
    await expectSame('PATCH', '/v2/keys/c/fq2');
    await expectSame('OPTIONS', '/v2/keys/c/fq2');
    await expectSame('OPTIONS', '/anything');
  });

  it('handles special characters, percent-encoding, trailing slashes and unclean paths', async () => {
    for (const key of ['/c/sp ace', '/c/a+b', '/c/q?mark', '/c/hash#', '/c/pct%', '/c/ünï©ødé', '/c/semi;colon', "/c/quote'\"", '/c/x=y&z']) {
      await expectSame('PUT', keysPath(key, { value: key }));
      await expectSame('GET', keysPath(key));
    }
    await expectSame('PUT', '/v2/keys/c/enc%2Fslash?value=1');
    await expectSame('GET', '/v2/keys/c/enc/slash');
    await expectSame('GET', '/v2/keys/c/enc/slash/');
    await expectSame('PUT', '/v2/keys/c/trailing/?value=1');
    await expectSame('GET', '/v2/keys/c/trailing');
    await expectSame('GET', '/v2/keys/c/');
    await expectSame('GET', '/v2/keys');
    for (const unclean of ['//v2/keys/c/fq2', '/v2/keys//c/fq2', '/v2/keys/c/./fq2', '/v2/keys/c/../c/fq2?recursive=true', '/v2/keys/c%2F%2Ffq2', '/v2/keys/c/fq2/.', '/v2/keys/c/sp%20ace/../x']) {
      await expectSame('GET', unclean);
      await expectSame('HEAD', unclean);
      await expectSame('PUT', unclean.includes('?') ? `${unclean}&value=r` : `${unclean}?value=r`);
    }
  });

  it('hides _keys in listings, creates in-order keys, and handles directories and sorted gets', async () => {
    await expectSame('PUT', keysPath('/c/h/_hidden', { value: '1' }));
    await expectSame('PUT', keysPath('/c/h/shown', { value: '2' }));
    await expectSame('GET', keysPath('/c/h', { recursive: 'true' }));
    await expectSame('POST', '/v2/keys/c/queue', form({ value: 'first' }));
    await expectSame('POST', '/v2/keys/c/queue', form({ value: 'second' }));
    await expectSame('POST', '/v2/keys/c/queue?dir=true');
    await expectSame('GET', keysPath('/c/queue', { sorted: 'true', recursive: 'true' }));
    await expectSame('PUT', keysPath('/c/dir', { dir: 'true' }));
    await expectSame('PUT', keysPath('/c/dir/z', { value: 'z' }));
    await expectSame('PUT', keysPath('/c/dir/a/b', { value: 'b' }));
    await expectSame('GET', keysPath('/c/dir', { sorted: 'true' }));
    await expectSame('GET', keysPath('/c/dir', { sorted: 'true', recursive: 'true' }));
    await expectSame('DELETE', keysPath('/c/dir/a', { dir: 'true' }));
    await expectSame('DELETE', keysPath('/c/dir', { recursive: 'true' }));
    await expectSame('GET', keysPath('/c', { recursive: 'true' }));
  });

  it('accepts a 1 MiB value; past kvd\'s body limit answers the error etcd gives past Go\'s form limit', async () => {
    const mib = 'v'.repeat(1024 * 1024);
    const [e, k] = await both('PUT', '/v2/keys/c/big', form({ value: mib }));
    expect(comparable(servers[1]!, k)).toEqual(comparable(servers[0]!, e));
    expect((k.json as { node: { value: string } }).node.value.length).toBe(mib.length);
    // etcd's v2 API has no limit of its own under Go's 10 MiB form limit; kvd keeps --max-request-bytes (1.5 MiB).
    const tooLarge = await rawRequest(servers[1]!.endpoint, 'PUT', '/v2/keys/c/big', form({ value: 'v'.repeat(2 * 1024 * 1024) }));
    const goLimit = await rawRequest(servers[0]!.endpoint, 'PUT', '/v2/keys/c/big', form({ value: 'v'.repeat(11 * 1024 * 1024) }));
    expect(comparable(servers[1]!, tooLarge)).toEqual(comparable(servers[0]!, goLimit));
    expect(tooLarge.json).toEqual({ errorCode: 210, message: 'Invalid POST form', cause: 'http: POST too large', index: 0 });
    // A body that is not a form is ignored whatever its size, on both.
    await expectSame('PUT', '/v2/keys/c/big2?value=small', { headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(3 * 1024 * 1024) });
  });

  it('expires a ttl=1 key within ~2 s on both, delivering an expire event to a watcher', async () => {
    await expectSame('PUT', '/v2/keys/c/ttl', form({ value: 'x', ttl: '1' }));
    const [eWatch, kWatch] = [openWatch(servers[0]!.endpoint, '/v2/keys/c/ttl?wait=true'), openWatch(servers[1]!.endpoint, '/v2/keys/c/ttl?wait=true')];
    const started = Date.now();
    const [eEvent, kEvent] = await Promise.all([eWatch.next(4000), kWatch.next(4000)]);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(normalizeBody(JSON.parse(kEvent), servers[1]!.start)).toEqual(normalizeBody(JSON.parse(eEvent), servers[0]!.start));
    expect(JSON.parse(kEvent)).toMatchObject({ action: 'expire', node: { key: '/c/ttl' } });
    await expectSame('GET', '/v2/keys/c/ttl');
    // Refresh keeps the value and sends no watch event of its own (refresh=true is silent to watchers).
    await expectSame('PUT', '/v2/keys/c/ttl2', form({ value: 'keep', ttl: '1' }));
    await expectSame('PUT', '/v2/keys/c/ttl2', form({ refresh: 'true', ttl: '30', prevExist: 'true' }));
    await new Promise((resolve) => setTimeout(resolve, 1600));
    await expectSame('GET', '/v2/keys/c/ttl2');
  });
});

/** A watch over raw HTTP: resolves `headers` as soon as the status line arrives, then yields one line per event. */
function openWatch(endpoint: string, requestPath: string) {
  const { hostname, port } = new URL(endpoint);
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let buffer = '';
  let ended = false;
  const req = httpRequest({ host: hostname, port, method: 'GET', path: requestPath });
  const headers = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', (res) => {
      resolve(res);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) !== -1) {
          lines.push(buffer.slice(0, newline));
          buffer = buffer.slice(newline + 1);
        }
        for (const wake of waiters.splice(0)) wake();
      });
      res.on('end', () => {
        ended = true;
        if (buffer.trim() !== '') lines.push(buffer);
        buffer = '';
        for (const wake of waiters.splice(0)) wake();
      });
      res.on('error', () => undefined);
    });
    req.on('error', reject);
  });
  headers.catch(() => undefined);
  req.end();
  return {
    headers,
    async next(timeoutMs = 3000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (lines.length === 0) {
        if (ended) throw new Error(`${requestPath}: stream ended`);
        if (Date.now() > deadline) throw new Error(`${requestPath}: no event within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return lines.shift()!;
    },
    close(): void {
      req.destroy();
    },
  };
}

describe.skipIf(!etcdAvailable)('watches over HTTP (differential against etcd 3.4)', () => {
  const watchBoth = (requestPath: string) => servers.map((server) => openWatch(server.endpoint, requestPath));
  const sameEvents = (events: string[]) => expect(normalizeBody(JSON.parse(events[1]!), servers[1]!.start)).toEqual(normalizeBody(JSON.parse(events[0]!), servers[0]!.start));

  it('answers a long poll with its headers first and the event of a later write', async () => {
    const watches = watchBoth('/v2/keys/w/poll?wait=true');
    const responses = await Promise.all(watches.map((w) => w.headers));
    for (const [i, res] of responses.entries()) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      expect(etcdHeaderNames(res.headers)).toEqual(['x-etcd-cluster-id', 'x-etcd-index', 'x-raft-index', 'x-raft-term']);
      expect(shiftIndex(res.headers['x-etcd-index'], servers[i]!.start)).toBe(shiftIndex(responses[0]!.headers['x-etcd-index'], servers[0]!.start));
    }
    await expectSame('PUT', '/v2/keys/w/poll', form({ value: 'later' }));
    sameEvents(await Promise.all(watches.map((w) => w.next())));
  });

  it('delivers a child\'s change to a recursive watch, not to a plain one', async () => {
    const recursive = watchBoth('/v2/keys/w?wait=true&recursive=true');
    const plain = watchBoth('/v2/keys/w?wait=true');
    await Promise.all([...recursive, ...plain].map((w) => w.headers));
    await expectSame('PUT', '/v2/keys/w/deep/child', form({ value: 'c' }));
    sameEvents(await Promise.all(recursive.map((w) => w.next())));
    for (const w of plain) await expect(w.next(300)).rejects.toThrow(/no event/);
    for (const w of [...recursive, ...plain]) w.close();
  });

  it('serves a waitIndex in the past from history, and a too-old one with errorCode 401', async () => {
    const index = (server: Server) => server.origin + 1; // the first write of the file (transcript's PUT /foo)
    const answers = await Promise.all(servers.map((server) => rawRequest(server.endpoint, 'GET', `/v2/keys/foo?wait=true&waitIndex=${index(server)}`)));
    expect(comparable(servers[1]!, answers[1]!).etcdIndex).toEqual(comparable(servers[0]!, answers[0]!).etcdIndex);
    expect(normalizeBody(answers[1]!.json, servers[1]!.origin)).toEqual(normalizeBody(answers[0]!.json, servers[0]!.origin));
    expect(answers[1]!.json).toMatchObject({ action: 'set', node: { key: '/foo', value: 'bar' } });
    // Push the first events out of the 1000-event history on both.
    for (const server of servers) {
      for (let i = 0; i < 1010; i += 25) {
        await Promise.all(Array.from({ length: 25 }, (_v, j) => rawRequest(server.endpoint, 'PUT', `/v2/keys/w/flood/${(i + j) % 50}?value=${i + j}`)));
      }
    }
    await expectSame('PUT', '/v2/keys/w/flood/last?value=last');
    const cleared = await Promise.all(servers.map((server) => rawRequest(server.endpoint, 'GET', `/v2/keys/foo?wait=true&waitIndex=${index(server)}`)));
    expect(comparable(servers[1]!, cleared[1]!)).toEqual(comparable(servers[0]!, cleared[0]!));
    // etcd's status for errorCode 401 is 400 (v2error maps EcodeEventIndexCleared to Bad Request).
    expect(cleared[1]!.status).toBe(400);
    expect(cleared[1]!.json).toMatchObject({ errorCode: 401, message: 'The event in requested index is outdated and cleared' });
  }, 60_000);

  it('streams several events with stream=true', async () => {
    const streams = watchBoth('/v2/keys/w/stream?wait=true&stream=true&recursive=true');
    await Promise.all(streams.map((w) => w.headers));
    await expectSame('PUT', '/v2/keys/w/stream/a', form({ value: '1' }));
    await expectSame('PUT', '/v2/keys/w/stream/b', form({ value: '2' }));
    await expectSame('DELETE', '/v2/keys/w/stream/a');
    for (let i = 0; i < 3; i++) sameEvents(await Promise.all(streams.map((w) => w.next())));
    for (const w of streams) w.close();
  });

  it('removes a watcher whose client went away (/v2/stats/store watchers back to 0)', async () => {
    const watchers = async (server: Server) => ((await rawRequest(server.endpoint, 'GET', '/v2/stats/store')).json as { watchers: number }).watchers;
    const settle = async (server: Server, want: number) => {
      const deadline = Date.now() + 3000;
      while ((await watchers(server)) !== want && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      return watchers(server);
    };
    // Watchers of earlier tests were closed by their clients: both servers must be back to none.
    for (const server of servers) expect(await settle(server, 0), server.name).toBe(0);
    const open = watchBoth('/v2/keys/w/gone?wait=true');
    const streaming = watchBoth('/v2/keys/w/gone?wait=true&stream=true');
    await Promise.all([...open, ...streaming].map((w) => w.headers));
    for (const server of servers) expect(await watchers(server), server.name).toBe(2);
    for (const w of [...open, ...streaming]) w.close();
    for (const server of servers) expect(await settle(server, 0), server.name).toBe(0);
  });
});
