import { afterEach, describe, expect, it } from 'vitest';
import { closedEndpoint, startScriptedServer, type ScriptedAnswer } from '../test/support/scripted-http-server.js';
import { KvTimeoutError, KvUnavailableError } from './errors.js';
import { FailoverTransport } from './http-transport.js';
import { getRequest, setRequest } from './keys-request.js';

const ok: ScriptedAnswer = { status: 200, body: '{"action":"get","node":{"key":"/a","value":"1","createdIndex":1,"modifiedIndex":1}}' };
const servers: { close(): Promise<void> }[] = [];
async function server(answer: Parameters<typeof startScriptedServer>[0]) {
  const started = await startScriptedServer(answer);
  servers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('FailoverTransport', () => {
  it('sends the value form-encoded with the right content type', async () => {
    const etcd = await server(() => ok);
    await new FailoverTransport([etcd.url], 1000).send(setRequest('/a b', 'x=1&y', { ttl: 5 }));
    expect(etcd.requests[0]).toMatchObject({ method: 'PUT', url: '/v2/keys/a%20b?ttl=5', body: 'value=x%3D1%26y' });
    expect(etcd.requests[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('moves past a refused connection and then starts with the endpoint that worked', async () => {
    const down = await closedEndpoint();
    const up = await server(() => ok);
    const transport = new FailoverTransport([down, up.url], 1000);
    expect((await transport.send(getRequest('/a'))).endpoint).toBe(up.url);
    expect(transport.currentEndpoint).toBe(up.url);
    await transport.send(getRequest('/a'));
    expect(up.requests).toHaveLength(2);
  });

  it('moves past a 5xx and a timeout, but returns a 4xx as the answer', async () => {
    const failing = await server(() => ({ status: 503, body: 'unavailable' }));
    const hanging = await server(() => 'hang');
    const notFound = await server(() => ({ status: 404, body: '{"errorCode":100,"message":"Key not found","cause":"/a","index":3}' }));
    const answer = await new FailoverTransport([failing.url, hanging.url, notFound.url], 200).send(getRequest('/a'));
    expect(answer).toMatchObject({ endpoint: notFound.url, status: 404 });
  });

  it('returns the last 5xx when every endpoint answers with one', async () => {
    const a = await server(() => ({ status: 500, body: '{"errorCode":300,"message":"Raft Internal Error","index":1}' }));
    expect(await new FailoverTransport([a.url], 500).send(getRequest('/a'))).toMatchObject({ status: 500 });
  });

  it('throws KvUnavailableError listing each endpoint and why', async () => {
    const down = await closedEndpoint();
    const hanging = await server(() => 'hang');
    const error = await new FailoverTransport([down, hanging.url], 150).send(getRequest('/a')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KvUnavailableError);
    const { attempts } = error as KvUnavailableError;
    expect(attempts.map((attempt) => attempt.endpoint)).toEqual([down, hanging.url]);
    expect(attempts[0]?.reason).toContain('ECONNREFUSED');
    expect(attempts[1]?.error).toBeInstanceOf(KvTimeoutError);
  });

  it('throws KvTimeoutError when every endpoint timed out', async () => {
    const hanging = await server(() => 'hang');
    const started = Date.now();
    await expect(new FailoverTransport([hanging.url], 150).send(getRequest('/a'))).rejects.toMatchObject({ code: 'KV_ERR_TIMEOUT', endpoints: [hanging.url], timeoutMs: 150 });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops at once, with the abort reason, when the caller aborts', async () => {
    const hanging = await server(() => 'hang');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('bye')), 50);
    await expect(new FailoverTransport([hanging.url], 5000).send(getRequest('/a'), { signal: controller.signal })).rejects.toThrow('bye');
  });

  it('rejects bad endpoints and timeouts when constructed', () => {
    expect(() => new FailoverTransport([], 1000)).toThrow(expect.objectContaining({ code: 'KV_ERR_INVALID_ARGUMENT' }));
    expect(() => new FailoverTransport(['not a url'], 1000)).toThrow(/not an endpoint URL/);
    expect(() => new FailoverTransport(['http://127.0.0.1:2379'], 0)).toThrow(/timeoutMs/);
  });
});
