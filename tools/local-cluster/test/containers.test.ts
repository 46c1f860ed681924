import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { RunnerLabel } from '@minicore/runner-labels';
import { stopMachineContainers } from '../src/containers.js';

/**
 * Powering a local machine off stops its containers (the ones runnerd labelled with its machine
 * id) and nothing else on the shared Docker engine.
 */
const socket = process.env['DOCKER_SOCKET'] ?? '/var/run/docker.sock';
const IMAGE = 'minicore/busybox:latest';

function engine(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      // /_ping answers plain text.
      response.on('end', () => resolve({ status: response.statusCode ?? 0, json: (response.headers['content-type'] ?? '').includes('json') && text ? (JSON.parse(text) as unknown) : text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function unavailable(): Promise<string | undefined> {
  try {
    if ((await engine('GET', '/_ping')).status !== 200) return 'the Docker engine does not answer';
  } catch (error) {
    return `no Docker engine at ${socket}: ${(error as Error).message}`;
  }
  if ((await engine('GET', `/images/${encodeURIComponent(IMAGE)}/json`)).status !== 200) return `the test image ${IMAGE} is missing (tools/ci/build-test-image.sh)`;
  return undefined;
}

const reason = await unavailable();
if (reason && process.env['CI'] === 'true') throw new Error(`this test needs a Docker engine under CI: ${reason}`);
const created: string[] = [];

async function startContainer(machine: string): Promise<string> {
  const made = await engine('POST', `/containers/create?name=launcher-power-off-${machine}`, { Image: IMAGE, Cmd: ['sleep', '300'], Labels: { [RunnerLabel.managed]: '1', [RunnerLabel.machine]: machine } });
  expect(made.status).toBe(201);
  const id = (made.json as { Id: string }).Id;
  created.push(id);
  expect((await engine('POST', `/containers/${id}/start`)).status).toBe(204);
  return id;
}

const running = async (id: string) => ((await engine('GET', `/containers/${id}/json`)).json as { State: { Running: boolean } }).State.Running;

afterAll(async () => {
  for (const id of created) await engine('DELETE', `/containers/${id}?force=true`);
});

describe.skipIf(reason !== undefined)(`powering a machine off (${reason ?? 'Docker engine'})`, () => {
  it('stops the containers labelled with that machine only', async () => {
    const suffix = `${process.pid}`;
    const mine = await startContainer(`core-off-${suffix}`);
    const other = await startContainer(`core-on-${suffix}`);
    expect(await stopMachineContainers(socket, `core-off-${suffix}`, 1)).toBe(1);
    expect(await running(mine)).toBe(false);
    expect(await running(other)).toBe(true);
    expect(await stopMachineContainers(socket, `core-off-${suffix}`, 1)).toBe(0);
  }, 60_000);
});
