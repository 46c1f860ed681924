import type { MachineRecord } from '@minicore/fleet-api';
import type { HttpServer } from '@minicore/http';
import { KvClient } from '@minicore/kv-client';
import type { Logger } from '@minicore/log';
import { Agent } from '../agent/agent.js';
import type { UnitBackend } from '../agent/backend.js';
import { installAgentRoutes } from '../api/agent-routes.js';
import { createApiServer } from '../api/server.js';
import { Engine } from '../engine/engine.js';
import type { PlacementStrategy } from '../engine/placement.js';
import { Registry } from '../registry/registry.js';
import { createUnitBackend, type UnitBackendChoice } from './unit-backend.js';

export interface SchedulerDaemonOptions {
  kvEndpoints: string[];
  keyPrefix: string;
  machine: MachineRecord;
  dataDir: string;
  /** Default exec: programmatic callers (tests, benchmarks) simulate machines; main passes the flag (default auto). */
  unitBackend?: UnitBackendChoice;
  agentTtlMs: number;
  agentIntervalMs: number;
  engineIntervalMs: number;
  disableEngine: boolean;
  /** How the engine picks a machine (default: fleet's fewest units). */
  placement?: PlacementStrategy;
  tokenLimit: number;
  logger: Logger;
}

export interface SchedulerDaemon {
  app: HttpServer;
  engine: Engine | undefined;
  agent: Agent;
  backend: UnitBackend;
  /** Graceful stop: hands engine leadership over, leaves units running. */
  close(): Promise<void>;
}

/** Wires one machine's schedulerd: registry over kv, the exec backend, agent, engine (each watching kv for what wakes it), API. */
export async function createSchedulerDaemon(options: SchedulerDaemonOptions): Promise<SchedulerDaemon> {
  const { logger } = options;
  const kv = new KvClient({ endpoints: options.kvEndpoints });
  const registry = new Registry(kv, options.keyPrefix);
  const backend = await createUnitBackend(options.unitBackend ?? 'exec', { dataDir: options.dataDir, logger });
  await backend.init();
  const agent = new Agent({ registry, backend, machine: options.machine, ttl: Math.max(1, Math.round(options.agentTtlMs / 1000)), intervalMs: options.agentIntervalMs, logger });
  const engine = options.disableEngine ? undefined : new Engine({ registry, machineId: options.machine.ID, intervalMs: options.engineIntervalMs, placement: options.placement ?? 'units', logger });
  const app = createApiServer({ registry, logger, tokenLimit: options.tokenLimit });
  installAgentRoutes(app, { backend, machineId: options.machine.ID });

  await agent.start();
  engine?.start();

  return {
    app,
    engine,
    agent,
    backend,
    close: async () => {
      await app.close();
      await engine?.stop();
      await agent.stop();
      await backend.close();
    },
  };
}
