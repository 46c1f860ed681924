// runnerd: the container runner of one Minicore machine.
import path from 'node:path';
import { loadConfigOrExit } from '@minicore/config';
import { exitOnSignals, listen, parseListenAddress } from '@minicore/http';
import { createLogger } from '@minicore/log';
import { runnerdConfig } from './config.js';
import { defaultMachineId } from './machine-id.js';
import { createRunnerDaemon } from './server.js';

const config = loadConfigOrExit(runnerdConfig);
const machineId = config.machineId || (await defaultMachineId());
const logger = createLogger({ name: 'runnerd', base: { machine: machineId }, ...(config.debug ? { level: 'debug' as const } : {}) });

try {
  const address = parseListenAddress(config.listen);
  const dataDir = path.resolve(config.dataDir || `${machineId}.runnerd`);
  const daemon = await createRunnerDaemon({
    dockerSocket: config.dockerSocket,
    machineId,
    dataDir,
    backoff: { baseMs: config.restartBackoff, maxMs: config.restartBackoffMax, resetAfterMs: config.restartResetAfter },
    kvEndpoints: config.kvEndpoints,
    announceTtlSeconds: Math.max(1, Math.ceil(config.announceTtl / 1000)),
    advertiseHost: config.advertiseHost,
    containerKvListen: config.containerKvListen,
    logger,
  });
  const url = await listen(daemon.app, address);
  exitOnSignals({ logger, close: () => daemon.close() });
  logger.info({ url, dockerSocket: config.dockerSocket, dataDir, engine: daemon.supervisor.connected, containerKv: daemon.containerKv.endpoint ?? null }, 'runnerd ready');
} catch (error) {
  logger.fatal({ err: error }, 'runnerd could not start');
  process.stderr.write(`runnerd: ${(error as Error).message}\n`);
  logger.flush();
  process.exit(1);
}
