// kvd: Minicore's etcd-compatible replicated key-value store.
import path from 'node:path';
import { loadConfigOrExit } from '@minicore/config';
import { exitOnSignals } from '@minicore/http';
import { createLogger } from '@minicore/log';
import { kvdConfig } from './config.js';
import { KvMemberNode } from './member.js';
import { parseInitialCluster } from './membership.js';
import { KvProxy } from './proxy.js';
import { buildClientServer, buildPeerServer, buildProxyServer, listenAll } from './servers.js';

const config = loadConfigOrExit(kvdConfig);
const logger = createLogger({ name: 'kvd', base: { member: config.name }, ...(config.debug ? { level: 'debug' as const } : {}) });
const dataDir = path.resolve(config.dataDir || `${config.name}.kvd`);

async function runProxy(): Promise<void> {
  if (!config.initialCluster) throw new Error('--proxy needs --initial-cluster naming the members to forward to');
  const peerURLs = parseInitialCluster(config.initialCluster, config.initialClusterToken).flatMap((member) => member.peerURLs);
  const proxy = new KvProxy({ peerURLs, readonly: config.proxy === 'readonly', logger });
  await proxy.start();
  const servers = await listenAll(config.listenClientUrls, () => buildProxyServer(proxy, logger, config.maxRequestBytes));
  exitOnSignals({ logger, close: async () => {
    proxy.stop();
    await Promise.all(servers.map((server) => server.close()));
  } });
  logger.info({ clientUrls: config.listenClientUrls, mode: config.proxy }, 'kvd proxy ready');
}

async function runMember(): Promise<void> {
  const member = await KvMemberNode.start(config, dataDir, logger);
  // Peers first: other members must reach this one before clients are served.
  const peerServers = await listenAll(config.listenPeerUrls, () => buildPeerServer(member, logger));
  const clientServers = await listenAll(config.listenClientUrls, () => buildClientServer(member, logger, config.maxRequestBytes));
  exitOnSignals({
    logger,
    close: async () => {
      // Leadership goes first, while this member still answers: the cluster never waits on it.
      await member.handOver();
      // Closing waits for in-flight requests; long polls would hold it open until the kill.
      const clientsClosed = Promise.all(clientServers.map((server) => server.close()));
      member.endWatches();
      await clientsClosed;
      await member.stop();
      await Promise.all(peerServers.map((server) => server.close()));
    },
  });
  // A removed member has nothing left to serve: stop the way a SIGTERM would (etcd exits too).
  void member.removed.then(() => process.kill(process.pid, 'SIGTERM'));
  // A failed disk sync leaves this member's state unknown: exit at once, without serving another request.
  void member.fatal.then((error) => {
    logger.fatal({ err: error }, 'consensus failed; exiting');
    logger.flush();
    process.exit(1);
  });
  logger.info({ dataDir, clientUrls: config.listenClientUrls, peerUrls: config.listenPeerUrls }, 'kvd ready');
}

try {
  await (config.proxy === 'off' ? runMember() : runProxy());
} catch (error) {
  logger.fatal({ err: error }, 'kvd could not start');
  process.stderr.write(`kvd: ${(error as Error).message}\n`);
  logger.flush();
  process.exit(1);
}
