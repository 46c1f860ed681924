// update-server: the Omaha v3 server Minicore machines check in with.
import path from 'node:path';
import { loadConfigOrExit } from '@minicore/config';
import { exitOnSignals, listen, parseListenAddress } from '@minicore/http';
import { createLogger } from '@minicore/log';
import { loadPublicKey } from '@minicore/release';
import { updateServerConfig } from './config.js';
import { createUpdateServer } from './server.js';

const config = loadConfigOrExit(updateServerConfig);
const logger = createLogger({ name: 'update-server', ...(config.debug ? { level: 'debug' as const } : {}) });

try {
  const address = parseListenAddress(config.listen);
  const dataDir = path.resolve(config.dataDir);
  const server = await createUpdateServer({
    dataDir,
    adminToken: config.adminToken,
    logger,
    ...(config.trustedKey ? { trustedKey: await loadPublicKey(config.trustedKey) } : {}),
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    disableUpdatesOnFailedRollout: config.disableUpdatesOnFailedRollout,
  });
  const url = await listen(server.app, address);
  exitOnSignals({ logger, close: () => server.close() });
  logger.info({ url, dataDir }, 'update-server ready');
} catch (error) {
  logger.fatal({ err: error }, 'update-server could not start');
  process.stderr.write(`update-server: ${(error as Error).message}\n`);
  logger.flush();
  process.exit(1);
}
