// kvd: Minicore's etcd-compatible replicated key-value store.
import path from 'node:path';
import { loadConfigOrExit } from '@minicore/config';
import { exitOnSignals } from '@minicore/http';
import { createLogger } from '@minicore/log';
import { kvdConfig } from './config.js';
import { KvMemberNode } from './member.js';
import { buildClientServer, buildPeerServer, listenAll } from './servers.js';

const config = loadConfigOrExit(kvdConfig);
const logger = createLogger({ name: 'kvd', base: { member: config.name }, ...(config.debug ? { level: 'debug' as const } : {}) });
const dataDir = path.resolve(config.dataDir || `${config.name}.kvd`);

try {
  if (config.proxy !== 'off') throw new Error('--proxy on|readonly: proxy mode is not built yet; run this machine as a member, or point clients at the members');
  const member = await KvMemberNode.start(config, dataDir, logger);
  // Peers first: other members must reach this one before clients are served.
  const peerServers = await listenAll(config.listenPeerUrls, () => buildPeerServer(member, logger));
  const clientServers = await listenAll(config.listenClientUrls, () => buildClientServer(member, logger, config.maxRequestBytes));
  exitOnSignals({
    logger,
    close: async () => {
      await Promise.all(clientServers.map((server) => server.close()));
      await member.stop();
      await Promise.all(peerServers.map((server) => server.close()));
    },
  });
  logger.info({ dataDir, clientUrls: config.listenClientUrls, peerUrls: config.listenPeerUrls }, 'kvd ready');
} catch (error) {
  logger.fatal({ err: error }, 'kvd could not start');
  process.stderr.write(`kvd: ${(error as Error).message}\n`);
  logger.flush();
  process.exit(1);
}
