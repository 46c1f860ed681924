import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemons, encodeRequest, sendRaw } from '../src/index.js';

/** Daemon bugs the fuzzer found (all fixed), kept as exact regression tests. */
const daemons = new Daemons();
const port = (name: string) => daemons.all.find((d) => d.name === name)?.port ?? 0;

beforeAll(async () => {
  await daemons.start();
}, 60_000);

afterAll(async () => {
  await daemons.stop();
}, 60_000);

async function get(daemon: string, method: string, target: string, headers: [string, string][] = [], body = ''): Promise<{ status: number; body: string }> {
  const outcome = await sendRaw(port(daemon), encodeRequest({ method, target, headers, body: Buffer.from(body) }), 5000);
  if (outcome.kind !== 'answer') throw new Error(`no answer: ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('regressions found by the fuzzer', () => {
  it.each([
    ['GET', '/fleet/v1/units/%2e%2e'],
    ['GET', '/fleet/v1/units/..'],
    ['GET', '/fleet/v1/units/.'],
    ['GET', '/fleet/v1/units/a%2Fb'],
    ['DELETE', '/fleet/v1/units/%2e%2e'],
  ])('schedulerd-unit-name-dot-500: %s %s answers fleet 4xx, not 500', async (method, target) => {
    const answer = await get('schedulerd', method, target);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: answer.status } });
  });

  it.each(['{}', '{"k":"v"}', '1'])('update-server-upload-json-500: POST /api/packages with application/json body %s answers 400', async (body) => {
    const answer = await get('update-server', 'POST', '/api/packages', [['Authorization', 'Bearer t'], ['Content-Type', 'application/json']], body);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'MC_ERR_INVALID_REQUEST', statusCode: 400 } });
  });

  it('fastify-router-error-format: schedulerd answers a bad percent-encoding with fleet\'s error body', async () => {
    const answer = await get('schedulerd', 'GET', '/fleet/v1/units/%zz');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 400 } });
  });

  it('fastify-router-error-format: update-server answers a bad percent-encoding with its error body', async () => {
    const answer = await get('update-server', 'GET', '/api/packages/%FF%FE');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'MC_ERR_INVALID_REQUEST', statusCode: 400 } });
  });
});
