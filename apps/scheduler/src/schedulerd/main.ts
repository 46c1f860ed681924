// schedulerd: fleet's engine and agent for one Minicore machine.
import path from 'node:path';
import { loadConfigOrExit } from '@minicore/config';
import { exitOnSignals, listen, parseListenAddress } from '@minicore/http';
import { createLogger } from '@minicore/log';
import { schedulerdConfig } from './config.js';
import { createSchedulerDaemon } from './daemon.js';
import { defaultMachineId, defaultPublicIp } from './machine-identity.js';

const config = loadConfigOrExit(schedulerdConfig);
const dataDir = path.resolve(config.dataDir);
const machineId = config.machineId || (await defaultMachineId(dataDir));
const logger = createLogger({ name: 'schedulerd', base: { machine: machineId }, ...(config.debug ? { level: 'debug' as const } : {}) });

try {
  const address = parseListenAddress(config.apiListen);
  const daemon = await createSchedulerDaemon({
    kvEndpoints: config.kvEndpoints,
    keyPrefix: config.keyPrefix,
    machine: { ID: machineId, PublicIP: config.publicIp || defaultPublicIp(), Metadata: config.metadata, Capabilities: null, Version: '0.1.0' },
    dataDir,
    unitBackend: config.unitBackend,
    agentTtlMs: config.agentTtl,
    agentIntervalMs: config.agentReconcileInterval,
    engineIntervalMs: config.engineReconcileInterval,
    disableEngine: config.disableEngine,
    placement: config.placement,
    tokenLimit: config.tokenLimit,
    logger,
  });
  const url = await listen(daemon.app, address);
  exitOnSignals({ logger, close: () => daemon.close() });
  logger.info({ url, dataDir, backend: daemon.backend.kind, kv: config.kvEndpoints }, 'schedulerd ready');
} catch (error) {
  logger.fatal({ err: error }, 'schedulerd could not start');
  process.stderr.write(`schedulerd: ${(error as Error).message}\n`);
  logger.flush();
  process.exit(1);
}
