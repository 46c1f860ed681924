// updaterd: the updater of one machine. `updaterd boot` is the boot selector, `updaterd mark-good`
// marks the booted slot successful, plain `updaterd` runs the daemon.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadConfigOrExit } from '@minicore/config';
import { exitOnSignals } from '@minicore/http';
import { createLogger } from '@minicore/log';
import { loadPublicKey } from '@minicore/release';
import { UpdateAgent } from './agent.js';
import { currentBootId, describeRecord, runBootSelector } from './boot.js';
import { bootConfig, daemonConfig, markGoodConfig } from './config.js';
import { HealthyMarker, markBootedSlotGood, urlsHealthy } from './mark-good.js';

const [subcommand, ...rest] = process.argv.slice(2);

function fail(program: string, error: unknown): never {
  process.stderr.write(`${program}: ${(error as Error).message}\n`);
  process.exit(1);
}

if (subcommand === 'boot') {
  const config = loadConfigOrExit(bootConfig, rest);
  try {
    const result = await runBootSelector(config.slotsDir, config.bootId || (await currentBootId()));
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.stderr.write(`updaterd boot: slot ${result.slot}${result.trial ? ' (on trial)' : ''}; ${describeRecord(result.record)}\n`);
  } catch (error) {
    fail('updaterd boot', error);
  }
} else if (subcommand === 'mark-good') {
  const config = loadConfigOrExit(markGoodConfig, rest);
  try {
    const result = await markBootedSlotGood(config.slotsDir);
    if (!result) fail('updaterd mark-good', new Error(`no booted slot recorded in ${config.slotsDir}: run updaterd boot first`));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (error) {
    fail('updaterd mark-good', error);
  }
} else {
  const config = loadConfigOrExit(daemonConfig);
  const logger = createLogger({ name: 'updaterd' });
  const marker = new HealthyMarker({
    slotsDir: config.slotsDir,
    healthyAfterMs: config.healthyAfter,
    intervalMs: config.healthInterval,
    check: urlsHealthy(config.healthUrls),
    onMarked: (slot, record) => logger.info({ slot, record: describeRecord(record) }, 'booted slot marked successful'),
    onError: (error) => logger.warn({ err: error }, 'could not mark the booted slot successful; will retry'),
  });
  // Keeps the process alive between checks.
  const keepAlive = setInterval(() => undefined, 60_000);
  let checkTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  exitOnSignals({
    logger,
    close: async () => {
      stopping = true;
      marker.stop();
      clearInterval(keepAlive);
      clearTimeout(checkTimer);
    },
  });
  marker.start();
  if (config.server) {
    if (!config.trustedKey) fail('updaterd', new Error('--server needs --trusted-key: releases are only installed when their signature verifies'));
    const machineId = config.machineId || (await readFile('/etc/machine-id', 'utf8').catch(() => randomBytes(16).toString('hex'))).trim();
    const agent = new UpdateAgent({
      slotsDir: config.slotsDir,
      server: config.server,
      track: config.track,
      machineId,
      bootId: await currentBootId(),
      trustedKey: await loadPublicKey(config.trustedKey),
      fallbackVersion: config.version,
      logger,
    });
    const fuzzed = (ms: number) => Math.max(0, ms + Math.round((Math.random() - 0.5) * config.checkFuzz));
    const schedule = (delay: number) => {
      if (stopping) return;
      checkTimer = setTimeout(() => {
        agent
          .checkOnce()
          .then((result) => logger.info({ result, status: agent.status }, 'update check done'))
          .catch((error: unknown) => logger.error({ err: error }, 'update check crashed'))
          .finally(() => schedule(fuzzed(config.checkInterval)));
      }, delay);
    };
    schedule(fuzzed(config.firstCheckDelay));
  }
  logger.info({ slotsDir: config.slotsDir, healthyAfterMs: config.healthyAfter }, 'updaterd ready');
}
