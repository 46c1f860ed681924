import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvdCluster, freePort } from '@minicore/kvd-testing';
import { etcdAvailable, rawRequest, startReferenceEtcd, type RawResponse, type ReferenceEtcd } from './support/etcd-reference.js';

/**
 * kvd's cluster endpoints on a 3-member cluster, shaped like a real etcd 3.4's (a 1-member
 * reference: no member is ever added to it, which would cost it its quorum).
 */

let etcd: ReferenceEtcd | undefined;
let cluster: KvdCluster | undefined;

beforeAll(async () => {
  if (!etcdAvailable) return;
  [etcd, cluster] = await Promise.all([startReferenceEtcd(), KvdCluster.start(3)]);
  await cluster.leader();
  // Members publish their client URLs just after the leader is known.
  for (const member of cluster.members) {
    const deadline = Date.now() + 5000;
    for (;;) {
      const list = (await rawRequest(member.clientUrl, 'GET', '/v2/members')).json as { members: { clientURLs: string[] }[] };
      if (list.members.every((m) => m.clientURLs.length > 0) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
});

afterAll(async () => {
  await Promise.all([etcd?.stop(), cluster?.destroy()]);
});

/** The JSON shape: keys and value types, recursively (arrays by their first item). */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v)]));
  return typeof value;
}

const sameEnvelope = (k: RawResponse, e: RawResponse) => {
  expect({ status: k.status, type: k.headers['content-type'], cluster: 'x-etcd-cluster-id' in k.headers, newline: k.text.endsWith('\n') }).toEqual({
    status: e.status,
    type: e.headers['content-type'],
    cluster: 'x-etcd-cluster-id' in e.headers,
    newline: e.text.endsWith('\n'),
  });
};

describe.skipIf(!etcdAvailable)('cluster endpoints (3-member kvd, shapes compared with etcd 3.4)', () => {
  const kvd = () => cluster!.members[0]!.clientUrl;

  it('/version, /v2/members, /v2/members/leader and /v2/machines have etcd\'s shapes', async () => {
    for (const path of ['/version', '/v2/members', '/v2/members/leader', '/v2/stats/self', '/v2/stats/store']) {
      const [k, e] = await Promise.all([rawRequest(kvd(), 'GET', path), rawRequest(etcd!.endpoint, 'GET', path)]);
      sameEnvelope(k, e);
      expect(shape(k.json), path).toEqual(shape(e.json));
    }
    const members = (await rawRequest(kvd(), 'GET', '/v2/members')).json as { members: { id: string; name: string; peerURLs: string[]; clientURLs: string[] }[] };
    expect(members.members.map((m) => m.name).sort()).toEqual(['m1', 'm2', 'm3']);
    for (const m of members.members) {
      expect(m.id).toMatch(/^[0-9a-f]{1,16}$/);
      expect(m.peerURLs).toEqual([cluster!.members.find((c) => c.name === m.name)!.peerUrl]);
      expect(m.clientURLs).toEqual([cluster!.members.find((c) => c.name === m.name)!.clientUrl]);
    }
    const [km, em] = await Promise.all([rawRequest(kvd(), 'GET', '/v2/machines'), rawRequest(etcd!.endpoint, 'GET', '/v2/machines')]);
    sameEnvelope(km, em);
    expect(km.text.split(', ').sort()).toEqual([...cluster!.endpoints].sort());
    const version = (await rawRequest(kvd(), 'GET', '/version')).json;
    expect(Object.keys(version as object)).toEqual(['etcdserver', 'etcdcluster']);
  });

  it('leader endpoints and stats agree on exactly one leader; followers answer 403 on /v2/stats/leader', async () => {
    const selves = await Promise.all(cluster!.members.map((m) => rawRequest(m.clientUrl, 'GET', '/v2/stats/self')));
    const states = selves.map((r) => (r.json as { state: string }).state);
    expect(states.filter((s) => s === 'StateLeader')).toHaveLength(1);
    expect(states.filter((s) => s === 'StateFollower')).toHaveLength(2);
    const leaderId = (selves.find((r) => (r.json as { state: string }).state === 'StateLeader')!.json as { id: string }).id;
    for (const m of cluster!.members) {
      for (const path of ['/v2/members/leader', '/v2/leader']) expect(((await rawRequest(m.clientUrl, 'GET', path)).json as { id: string }).id).toBe(leaderId);
    }
    const eLeader = await rawRequest(etcd!.endpoint, 'GET', '/v2/stats/leader');
    for (const [i, m] of cluster!.members.entries()) {
      const r = await rawRequest(m.clientUrl, 'GET', '/v2/stats/leader');
      if (states[i] === 'StateLeader') {
        sameEnvelope(r, eLeader);
        expect(Object.keys((r.json as { followers: object }).followers)).toHaveLength(2);
      } else {
        expect({ status: r.status, body: r.json, type: r.headers['content-type'] }).toEqual({ status: 403, body: { message: 'not current leader' }, type: 'application/json' });
      }
    }
  });

  it('POST/DELETE /v2/members answer with etcd\'s statuses and messages', async () => {
    const json = { 'content-type': 'application/json' };
    const taken = cluster!.members[1]!.peerUrl;
    const etcdTaken = etcd!.peerUrl;
    // Error cases, side by side with etcd (each fails before any change, so the reference keeps its quorum).
    const cases: [Record<string, string>, (peer: string) => string][] = [
      [json, (peer) => JSON.stringify({ peerURLs: [peer] })],
      [{ 'content-type': 'text/plain' }, () => JSON.stringify({ peerURLs: ['http://127.0.0.1:1'] })],
      [json, () => JSON.stringify({ peerURLs: ['notaurl'] })],
      [json, () => JSON.stringify({ peerURLs: ['http://127.0.0.1'] })],
      [json, () => JSON.stringify({ peerURLs: ['http://127.0.0.1:1/path'] })],
      [json, () => JSON.stringify({ peerURLs: [] })],
      [json, () => JSON.stringify({})],
      [json, () => '{bad'],
    ];
    for (const [headers, body] of cases) {
      const k = await rawRequest(kvd(), 'POST', '/v2/members', { headers, body: body(taken) });
      const e = await rawRequest(etcd!.endpoint, 'POST', '/v2/members', { headers, body: body(etcdTaken) });
      sameEnvelope(k, e);
      // Go's JSON decoder words its syntax errors its own way; every other message is etcd's.
      if (!body(taken).startsWith('{bad')) expect(k.json, body(taken)).toEqual(e.json);
    }
    for (const id of ['abcdef', 'zzz', '00000000000000ff']) {
      const [k, e] = await Promise.all([rawRequest(kvd(), 'DELETE', `/v2/members/${id}`), rawRequest(etcd!.endpoint, 'DELETE', `/v2/members/${id}`)]);
      sameEnvelope(k, e);
      expect(k.json).toEqual(e.json);
    }
    for (const method of ['PATCH']) {
      const [k, e] = await Promise.all([rawRequest(kvd(), method, '/v2/members'), rawRequest(etcd!.endpoint, method, '/v2/members')]);
      expect({ status: k.status, allow: k.headers['allow'], text: k.text }).toEqual({ status: e.status, allow: e.headers['allow'], text: e.text });
    }

    // A real add on kvd only: 201 with the member, 409 for the same peer URL again, then removal (204) and 410.
    const peer = `http://127.0.0.1:${await freePort()}`;
    const added = await rawRequest(kvd(), 'POST', '/v2/members', { headers: json, body: JSON.stringify({ peerURLs: [peer] }) });
    expect(added.status).toBe(201);
    expect(added.headers['content-type']).toBe('application/json');
    expect(added.json).toMatchObject({ name: '', peerURLs: [peer], clientURLs: [] });
    const id = (added.json as { id: string }).id;
    const again = await rawRequest(kvd(), 'POST', '/v2/members', { headers: json, body: JSON.stringify({ peerURLs: [peer] }) });
    expect({ status: again.status, body: again.json }).toEqual({ status: 409, body: { message: 'membership: peerURL exists' } });
    const removed = await rawRequest(kvd(), 'DELETE', `/v2/members/${id}`);
    expect(removed.status).toBe(204);
    const gone = await rawRequest(kvd(), 'DELETE', `/v2/members/${id}`);
    expect({ status: gone.status, body: gone.json }).toEqual({ status: 410, body: { message: `Member permanently removed: ${id}` } });
  });

  it('/v2/stats/store counters move, /health answers 200 and /metrics counts requests', async () => {
    const before = (await rawRequest(kvd(), 'GET', '/v2/stats/store')).json as Record<string, number>;
    await rawRequest(kvd(), 'PUT', '/v2/keys/stats/a?value=1');
    await rawRequest(kvd(), 'GET', '/v2/keys/stats/a');
    await rawRequest(kvd(), 'GET', '/v2/keys/stats/missing');
    const after = (await rawRequest(kvd(), 'GET', '/v2/stats/store')).json as Record<string, number>;
    expect(after['setsSuccess']).toBe(before['setsSuccess']! + 1);
    expect(after['getsSuccess']).toBe(before['getsSuccess']! + 1);
    expect(after['getsFail']).toBe(before['getsFail']! + 1);
    for (const m of cluster!.members) {
      const health = await rawRequest(m.clientUrl, 'GET', '/health');
      expect(health.status).toBe(200);
      expect((health.json as { health: string }).health).toBe('true');
    }
    const eHealth = await rawRequest(etcd!.endpoint, 'GET', '/health');
    expect(eHealth.json).toEqual({ health: 'true' });
    const metrics = await rawRequest(kvd(), 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('kvd_http_requests_total');
  });
});
