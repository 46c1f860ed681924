import { encodePageToken } from '@minicore/fleet-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvdCluster } from '@minicore/kvd-testing';
import { Machines, waitUntil } from './support/machines.js';

let kv: KvdCluster;
let machines: Machines;
let base: string;

async function call(method: string, pathname: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: unknown; headers: Headers }> {
  const response = await fetch(`${base}${pathname}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': contentType } }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown), headers: response.headers };
}

const sleeper = [{ section: 'Service', name: 'ExecStart', value: '/bin/sleep 1000' }];
const error = (code: number, message: string) => ({ error: { code, message } });

beforeAll(async () => {
  kv = await KvdCluster.start(1, { logLevel: 'warn' });
  // A page of 2 so that paging is visible with a few units; the engine placing units is not needed here.
  machines = await Machines.start(kv.endpoints, ['role=api'], ['--token-limit', '2']);
  base = `${machines.all[0]!.endpoint}/fleet/v1`;
  await waitUntil('machine registered', async () => (await call('GET', '/machines')).json !== undefined && 'machines' in ((await call('GET', '/machines')).json as object));
});

afterAll(async () => {
  await machines?.destroy();
  await kv?.destroy();
});

describe("fleet's v1 API: status codes and error bodies", () => {
  it('answers an empty cluster with {} and JSON with fleetd as Server', async () => {
    const answer = await call('GET', '/units?alt=json');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({});
    expect(answer.headers.get('server')).toMatch(/^fleetd\//);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('GET and DELETE of a unit that does not exist: 404 "unit does not exist"', async () => {
    expect(await call('GET', '/units/nope.service')).toMatchObject({ status: 404, json: error(404, 'unit does not exist') });
    expect(await call('DELETE', '/units/nope.service')).toMatchObject({ status: 404, json: error(404, 'unit does not exist') });
    expect(await call('GET', '/state/nope.service')).toMatchObject({ status: 404, json: error(404, 'unit state does not exist') });
  });

  it('PUT: create 201, state change 204, and the 409s', async () => {
    expect(await call('PUT', '/units/a.service', { desiredState: 'loaded' })).toMatchObject({ status: 409, json: error(409, 'unit does not exist and options field empty') });
    expect((await call('PUT', '/units/a.service', { name: 'a.service', options: sleeper })).status).toBe(201);
    expect(await call('GET', '/units/a.service')).toMatchObject({ status: 200, json: { name: 'a.service', options: sleeper, desiredState: 'inactive', currentState: 'inactive' } });
    expect(await call('PUT', '/units/a.service', { name: 'a.service' })).toMatchObject({ status: 409, json: error(409, 'must provide DesiredState to update existing unit') });
    // Same options again: a state update, not a replacement.
    expect((await call('PUT', '/units/a.service', { options: sleeper, desiredState: 'inactive' })).status).toBe(204);
    // New options: a replacement (201).
    expect((await call('PUT', '/units/a.service', { options: [{ section: 'Service', name: 'ExecStart', value: '/bin/sleep 999' }] })).status).toBe(201);
  });

  it('PUT: 400 for a bad name, a name mismatch, a bad desiredState, bad options, a template activation; 415 for non-JSON', async () => {
    expect(await call('PUT', '/units/a.service', { name: 'b.service', options: sleeper })).toMatchObject({ status: 400, json: error(400, 'name in URL (a.service) differs from unit name in request body (b.service)') });
    expect((await call('PUT', '/units/nosuffix', { options: sleeper })).status).toBe(400);
    expect((await call('PUT', '/units/a.service', { desiredState: 'running' })).status).toBe(400);
    const combo = [...sleeper, { section: 'X-Fleet', name: 'MachineID', value: 'x' }, { section: 'X-Fleet', name: 'Global', value: 'true' }];
    expect(await call('PUT', '/units/combo.service', { options: combo })).toMatchObject({ status: 400, json: error(400, 'MachineID cannot be used with Global') });
    expect((await call('PUT', '/units/web@.service', { options: sleeper })).status).toBe(201);
    expect(await call('PUT', '/units/web%40.service', { desiredState: 'launched' })).toMatchObject({ status: 400, json: error(400, 'cannot activate template "web@.service"') });
    expect((await call('PUT', '/units/a.service', 'desiredState=loaded', 'text/plain')).status).toBe(415);
    expect((await call('PUT', '/units/a.service', '{not json')).status).toBe(400);
    expect((await call('PUT', '/units/a.service', { options: 'nope' })).status).toBe(400);
  });

  it('percent-encoded names, and instance units', async () => {
    expect((await call('PUT', '/units/web%401.service', { options: sleeper, desiredState: 'inactive' })).status).toBe(201);
    expect(await call('GET', '/units/web%401.service?alt=json')).toMatchObject({ status: 200, json: { name: 'web@1.service' } });
    expect((await call('DELETE', '/units/web%401.service')).status).toBe(204);
    expect((await call('GET', '/units/web%401.service')).status).toBe(404);
  });

  it('GET /units pages by the token limit; bad tokens are 400', async () => {
    for (const name of ['p1', 'p2', 'p3']) expect((await call('PUT', `/units/${name}.service`, { options: sleeper })).status).toBe(201);
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const answer = (await call('GET', `/units${token ? `?nextPageToken=${encodeURIComponent(token)}` : ''}`)).json as { units: { name: string }[]; nextPageToken?: string };
      names.push(...answer.units.map((unit) => unit.name));
      token = answer.nextPageToken;
      pages++;
    } while (token);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['a.service', 'p1.service', 'p2.service', 'p3.service', 'web@.service']));
    expect(pages).toBe(Math.ceil(names.length / 2));
    expect(await call('GET', `/units?nextPageToken=${encodeURIComponent(encodePageToken({ limit: 100, page: 2 }))}`)).toMatchObject({ status: 400, json: error(400, 'token limit must be 2') });
    expect((await call('GET', '/units?nextPageToken=!!')).status).toBe(400);
    expect((await call('GET', `/machines?nextPageToken=${encodeURIComponent(encodePageToken({ limit: 2, page: 0 }))}`)).status).toBe(400);
    expect((await call('GET', '/state?nextPageToken=a&nextPageToken=b')).status).toBe(400);
  });

  it('currentState is derived: loaded once the agent reports, launched once it runs; state filters', async () => {
    expect((await call('PUT', '/units/p1.service', { desiredState: 'launched' })).status).toBe(204);
    await waitUntil('p1 launched', async () => ((await call('GET', '/units/p1.service')).json as { currentState?: string }).currentState === 'launched');
    expect((await call('GET', '/units/p1.service')).json).toMatchObject({ machineID: 'm1', desiredState: 'launched' });
    expect(await call('GET', '/state?machineID=m1&unitName=p1.service')).toMatchObject({ status: 200, json: { states: [{ name: 'p1.service', machineID: 'm1', systemdLoadState: 'loaded', systemdActiveState: 'active', systemdSubState: 'running' }] } });
    expect((await call('GET', '/state?machineID=other')).json).toEqual({});
    expect(await call('GET', '/state/p1.service')).toMatchObject({ status: 200, json: { name: 'p1.service', hash: expect.stringMatching(/^[0-9a-f]{40}$/) as unknown } });
    expect((await call('PUT', '/units/p1.service', { desiredState: 'loaded' })).status).toBe(204);
    await waitUntil('p1 loaded', async () => ((await call('GET', '/units/p1.service')).json as { currentState?: string }).currentState === 'loaded');
    expect((await call('DELETE', '/units/p1.service')).status).toBe(204);
  });

  it('machines and discovery', async () => {
    expect((await call('GET', '/machines')).json).toEqual({ machines: [{ id: 'm1', primaryIP: '127.0.0.1', metadata: { role: 'api' } }] });
    const discovery = await call('GET', '/discovery');
    expect(discovery.status).toBe(200);
    expect(discovery.json).toMatchObject({ kind: 'discovery#restDescription', id: 'fleet:v1', basePath: '/fleet/v1/' });
    expect((await call('POST', '/discovery', {})).status).toBe(400);
  });

  it('405 for other methods on known paths, 404 elsewhere, with empty messages', async () => {
    expect(await call('POST', '/units', {})).toMatchObject({ status: 405, json: error(405, '') });
    expect((await call('PATCH', '/units/a.service', {})).status).toBe(405);
    expect((await call('DELETE', '/state')).status).toBe(405);
    expect((await call('PUT', '/machines', {})).status).toBe(405);
    expect((await call('GET', '')).status).toBe(405);
    expect(await call('GET', '/nothing')).toMatchObject({ status: 404, json: error(404, '') });
    expect((await call('GET', '/units/')).status).toBe(404);
  });
});
