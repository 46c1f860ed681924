// The scheduler benchmark's harness (npm run bench -- scheduler): `machines` hosts many simulated
// machines (real agents, each with its own kv client, on the no-op backend double or the exec
// backend) in one process; `engine` runs the engine alone, so its CPU and memory are its own;
// `submit` creates the units as the API would; `progress` reports placed and running counts.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KvClient } from '@minicore/kv-client';
import { createLogger } from '@minicore/log';
import { parseUnitFile } from '@minicore/unit-file';
import { Agent } from '../agent/agent.js';
import type { UnitBackend } from '../agent/backend.js';
import { ExecBackend } from '../agent/exec-backend.js';
import { Engine } from '../engine/engine.js';
import { placementStrategies, type PlacementStrategy } from '../engine/placement.js';
import { inParallel } from '../registry/in-parallel.js';
import { Registry } from '../registry/registry.js';
import { NoopUnitBackend } from './noop-backend.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    'kv-endpoints': { type: 'string' },
    'key-prefix': { type: 'string' },
    count: { type: 'string', default: '100' },
    first: { type: 'string', default: '1' },
    'id-prefix': { type: 'string', default: 'sim' },
    backend: { type: 'string', default: 'noop' },
    'data-dir': { type: 'string' },
    ttl: { type: 'string', default: '30' },
    interval: { type: 'string', default: '5000' },
    'machine-id': { type: 'string', default: 'engine' },
    placement: { type: 'string', default: 'units' },
    units: { type: 'string', default: '10000' },
    variants: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '64' },
    every: { type: 'string', default: '500' },
  },
});

const endpoints = (values['kv-endpoints'] ?? '').split(',').filter(Boolean);
if (endpoints.length === 0) throw new Error('--kv-endpoints is required');
const logger = createLogger({ name: 'scheduler-simulation' });
/** Machine `i` talks to member `i mod n` first, as real machines each talk to their own kv member. */
const registryFor = (i = 0) => new Registry(new KvClient({ endpoints: [...endpoints.slice(i % endpoints.length), ...endpoints.slice(0, i % endpoints.length)] }), values['key-prefix']);
const interval = Number(values.interval);
const stops: (() => Promise<void>)[] = [];

function ready(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ready: true, ...fields })}\n`);
}

async function machines(): Promise<void> {
  const count = Number(values.count);
  const first = Number(values.first);
  const backendKind = values.backend;
  if (backendKind !== 'noop' && backendKind !== 'exec') throw new Error('--backend is noop or exec');
  const width = String(first + count - 1).length;
  for (let i = first; i < first + count; i += 1) {
    const id = `${values['id-prefix']}${String(i).padStart(Math.max(3, width), '0')}`;
    let backend: UnitBackend;
    if (backendKind === 'exec') {
      const dataDir = path.join(values['data-dir'] ?? 'simulation.data', id);
      mkdirSync(dataDir, { recursive: true });
      backend = new ExecBackend({ dataDir, logger });
    } else backend = new NoopUnitBackend();
    await backend.init();
    const agent = new Agent({
      registry: registryFor(i),
      backend,
      machine: { ID: id, PublicIP: '127.0.0.1', Metadata: { rack: `r${i % 10}` }, Capabilities: null, Version: '0.1.0' },
      ttl: Number(values.ttl),
      intervalMs: interval,
      logger,
    });
    await agent.start();
    stops.push(async () => {
      await agent.stop();
      await backend.close();
    });
  }
  ready({ machines: count, backend: backendKind });
}

async function engine(): Promise<void> {
  const placement = values.placement as PlacementStrategy;
  if (!placementStrategies.includes(placement)) throw new Error(`--placement is one of ${placementStrategies.join(', ')}`);
  const engine = new Engine({ registry: registryFor(), machineId: values['machine-id'], intervalMs: interval, placement, logger });
  engine.start();
  stops.push(() => engine.stop());
  ready({ engine: values['machine-id'], placement });
}

/**
 * Submits `--units` units as the API does (text by hash, object, desired state launched), `--variants`
 * different texts shared round-robin, as templated units share theirs. Prints the time it took.
 */
async function submit(): Promise<void> {
  const registry = registryFor();
  const count = Number(values.units);
  const variants = Math.max(1, Number(values.variants));
  const texts = Array.from({ length: variants }, (_, v) => parseUnitFile(`[Unit]\nDescription=benchmark unit, variant ${v}\n\n[Service]\nExecStart=/bin/sleep infinity\n`));
  const startedAt = performance.now();
  // A client that waits and retries: on a loaded host a write may take longer than the daemons' 5 s.
  const patient = new Registry(new KvClient({ endpoints: registry.kv.endpoints, timeoutMs: 30_000 }), values['key-prefix']);
  await patient.preferLeaderForWrites();
  await inParallel(Array.from({ length: count }, (_, i) => i), Number(values.concurrency), async (i) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await patient.putUnit(`bench-${String(i).padStart(5, '0')}.service`, texts[i % variants]!, 'launched');
        return;
      } catch (error) {
        if (attempt >= 5) throw error;
      }
    }
  });
  ready({ submitted: count, seconds: (performance.now() - startedAt) / 1000 });
}

/** Prints, every `--every` ms, how many units are placed and how many run where placed (fleet's currentState launched). */
async function progress(): Promise<void> {
  const registry = registryFor();
  let requests = 0;
  ready({ progress: true });
  for (;;) {
    let placed = 0;
    let launched = 0;
    requests += 1;
    const tree = await registry.kv.get(registry.keys.jobs, { recursive: true }).catch(() => undefined);
    for (const job of tree?.node.nodes ?? []) {
      let target: string | undefined;
      let jobState: string | undefined;
      for (const field of job.nodes ?? []) {
        if (field.key.endsWith('/target')) target = field.value;
        else if (field.key.endsWith('/job-state')) jobState = field.value;
      }
      if (target) placed += 1;
      if (target && jobState === target) launched += 1;
    }
    process.stdout.write(`${JSON.stringify({ at: Date.now(), placed, launched, requests })}\n`);
    await new Promise((resolve) => setTimeout(resolve, Number(values.every)));
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void Promise.allSettled(stops.map((stop) => stop())).then(() => process.exit(0));
  });
}

const mode = positionals[0];
if (mode === 'machines') await machines();
else if (mode === 'engine') await engine();
else if (mode === 'submit') {
  await submit();
  process.exit(0);
} else if (mode === 'progress') await progress();
else {
  process.stderr.write('usage: main.js machines|engine|submit|progress --kv-endpoints URLS [...]\n');
  process.exit(2);
}
