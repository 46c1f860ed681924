import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@minicore/log';
import { afterEach, describe, expect, it } from 'vitest';
import { Type } from 'typebox';
import { defineHttpError } from './errors.js';
import { createHttpServer, listen, type HttpServer } from './server.js';

const silent = createLogger({ name: 'test', level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) });
const servers: HttpServer[] = [];
function server(options: Partial<Parameters<typeof createHttpServer>[0]> = {}): HttpServer {
  const app = createHttpServer({ name: 'testd', logger: silent, ...options });
  servers.push(app);
  return app;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((app) => app.close()));
});

describe('createHttpServer', () => {
  it('takes path parameters up to 1024 characters (unit names, keys) and answers a longer one with 400 in its error format', async () => {
    const app = server();
    app.get('/units/:name', async (request) => ({ length: (request.params as { name: string }).name.length }));
    expect((await app.inject({ method: 'GET', url: `/units/${'u'.repeat(1024)}` })).json()).toEqual({ length: 1024 });
    const tooLong = await app.inject({ method: 'GET', url: `/units/${'u'.repeat(1025)}` });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toMatchObject({ error: { code: 'MC_ERR_INVALID_REQUEST' } });
  });

  it('answers /health with 200 when every check passes', async () => {
    const app = server({ health: { store: () => true } });
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ health: 'true', checks: { store: { ok: true } } });
  });

  it('answers /health with 503 and the reasons when a check fails, throws or hangs', async () => {
    const app = server({
      health: {
        raft: () => 'no leader',
        disk: () => Promise.reject(new Error('read-only file system')),
        slow: () => new Promise<true>(() => undefined),
      },
    });
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      health: 'false',
      checks: {
        raft: { ok: false, reason: 'no leader' },
        disk: { ok: false, reason: 'read-only file system' },
        slow: { ok: false, reason: 'no answer within 2000 ms' },
      },
    });
  }, 10_000);

  it('counts requests by route pattern in Prometheus text format', async () => {
    const app = server();
    app.get('/things/:id', async () => ({ ok: true }));
    await app.inject({ method: 'GET', url: '/things/1' });
    await app.inject({ method: 'GET', url: '/things/2' });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toContain('testd_http_requests_total{method="GET",route="/things/:id",status="200"} 2');
    expect(response.body).toContain('testd_process_cpu_user_seconds_total');
  });

  it('answers unknown routes with the JSON error format', async () => {
    const response = await server().inject({ method: 'DELETE', url: '/nowhere' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'MC_ERR_ROUTE_NOT_FOUND', message: 'no route for DELETE /nowhere', statusCode: 404 } });
  });

  it('validates bodies against TypeBox schemas and names the bad field', async () => {
    const app = server();
    app.post('/units', { schema: { body: Type.Object({ name: Type.String({ minLength: 1 }) }) } }, async (request) => ({ got: request.body.name }));
    const bad = await app.inject({ method: 'POST', url: '/units', payload: { name: '' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'MC_ERR_INVALID_REQUEST' });
    expect(bad.json<{ error: { message: string } }>().error.message).toContain('/name');
    const good = await app.inject({ method: 'POST', url: '/units', payload: { name: 'web.service' } });
    expect(good.json()).toEqual({ got: 'web.service' });
  });

  it('rejects malformed JSON with a 400, not a crash', async () => {
    const app = server();
    app.post('/echo', async (request) => request.body);
    const response = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
    expect(response.statusCode).toBe(400);
  });

  it('sends catalogue errors as they are and hides unexpected ones', async () => {
    const app = server();
    const Busy = defineHttpError('X_BUSY', 409, (what: string) => `${what} is busy`);
    app.get('/busy', async () => {
      throw Busy('slot A');
    });
    app.get('/bug', async () => {
      throw new TypeError('cannot read x of undefined');
    });
    expect((await app.inject('/busy')).json()).toEqual({ error: { code: 'X_BUSY', message: 'slot A is busy', statusCode: 409 } });
    const bug = await app.inject('/bug');
    expect(bug.statusCode).toBe(500);
    expect(bug.body).not.toContain('undefined');
  });

  it('lets an app format errors in its own wire format', async () => {
    const app = server({ formatError: (error) => ({ statusCode: error.statusCode, body: { errorCode: 999, message: error.message }, headers: { 'x-etcd-index': '7' } }) });
    const response = await app.inject('/missing');
    expect(response.json()).toEqual({ errorCode: 999, message: 'no route for GET /missing' });
    expect(response.headers['x-etcd-index']).toBe('7');
  });

  it('listens on an ephemeral TCP port and on a unix socket', async () => {
    const tcp = server();
    const url = await listen(tcp, { kind: 'tcp', host: '127.0.0.1', port: 0 });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/health`)).status).toBe(200);

    const dir = await mkdtemp(path.join(tmpdir(), 'mc-http-'));
    try {
      const socketPath = path.join(dir, 'api.sock');
      const unix = server();
      expect(await listen(unix, { kind: 'unix', path: socketPath })).toBe(`unix://${socketPath}`);
      const status = await new Promise<number | undefined>((resolve, reject) => {
        httpRequest({ socketPath, path: '/health' }, (response) => {
          response.resume();
          resolve(response.statusCode);
        })
          .on('error', reject)
          .end();
      });
      expect(status).toBe(200);
    } finally {
      await Promise.all(servers.splice(0).map((app) => app.close()));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
