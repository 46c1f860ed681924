// updaterd: the updater of one machine. `updaterd boot` is the boot selector, `updaterd mark-good`
// marks the booted slot successful, `updaterd install` puts a bundle into a slot by hand, plain
// `updaterd` runs the daemon.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { isSlotName, loadBootRecord, otherSlot, readBootedSlot } from '@minicore/boot-record';
import { loadConfigOrExit } from '@minicore/config';
import { exitOnSignals } from '@minicore/http';
import { createLogger } from '@minicore/log';
import { KvClient } from '@minicore/kv-client';
import { loadPublicKey } from '@minicore/release';
import { describeAddress, UPDATE_ENGINE_BUS_NAME } from '@minicore/update-engine-dbus';
import { KvSemaphore } from '../locksmith/kv-semaphore.js';
import { parseRebootWindow } from '../locksmith/reboot-window.js';
import { parseDuration } from '../updatectl/duration.js';
import { UpdateAgent } from './agent.js';
import { nextCheckInterval } from './check-schedule.js';
import { currentBootId, describeRecord } from './boot.js';
import { runBootCommand } from './boot-command.js';
import { daemonConfig, installConfig, markGoodConfig } from './config.js';
import { UpdateFailure } from './download.js';
import { installIntoSlot, readSlotManifest } from './install.js';
import { parseByteRate } from './byte-rate.js';
import { priorityPrefix } from './low-priority.js';
import { publishAgentOnDbus, type PublishedAgent } from './dbus-service.js';
import { HealthyMarker, markBootedSlotGood, urlsHealthy } from './mark-good.js';
import { chooseRebootAction } from './reboot-action.js';
import { RebootManager } from './reboot-manager.js';
import { TrialDeadline } from './trial-deadline.js';

const [subcommand, ...rest] = process.argv.slice(2);

function fail(program: string, error: unknown): never {
  process.stderr.write(`${program}: ${(error as Error).message}\n`);
  process.exit(1);
}

if (subcommand === 'boot') {
  await runBootCommand(rest);
} else if (subcommand === 'install') {
  const config = loadConfigOrExit(installConfig, rest);
  try {
    const booted = (await readBootedSlot(config.slotsDir))?.slot;
    const slot = isSlotName(config.slot) ? config.slot : booted ? otherSlot(booted) : 'A';
    if (slot === booted && !config.force) throw new Error(`slot ${slot} is the booted slot: install into ${otherSlot(slot)}, or stop the machine's daemons and pass --force`);
    const result = await installIntoSlot({ slotsDir: config.slotsDir, bundle: config.bundle, publicKey: await loadPublicKey(config.trustedKey), slot, mark: config.trial ? 'trial' : 'good' });
    const record = (await loadBootRecord(config.slotsDir)).record;
    process.stdout.write(`${JSON.stringify({ slot: result.slot, version: result.manifest.version, files: result.manifest.files.length, record })}\n`);
  } catch (error) {
    const code = error instanceof UpdateFailure ? ` (error code ${error.errorCode})` : '';
    fail('updaterd install', new Error(`${(error as Error).message}${code}`));
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
  let window;
  let maxBytesPerSecond: number | undefined;
  try {
    maxBytesPerSecond = parseByteRate(config.maxDownloadRate || '0');
    const length = config.rebootWindowLength ? parseDuration(config.rebootWindowLength) : undefined;
    if (config.rebootWindowLength && length === undefined) throw new Error(`invalid --reboot-window-length "${config.rebootWindowLength}": expected a duration such as 1h30m`);
    window = parseRebootWindow(config.rebootWindowStart, length);
  } catch (error) {
    fail('updaterd', error);
  }
  const machineId = config.machineId || (await readFile('/etc/machine-id', 'utf8').catch(() => randomBytes(16).toString('hex'))).trim();
  const marker = new HealthyMarker({
    slotsDir: config.slotsDir,
    healthyAfterMs: config.healthyAfter,
    intervalMs: config.healthInterval,
    check: urlsHealthy(config.healthUrls),
    onMarked: (slot, record) => logger.info({ slot, record: describeRecord(record) }, 'booted slot marked successful'),
    onError: (error) => logger.warn({ err: error }, 'could not mark the booted slot successful; will retry'),
  });
  let agent: UpdateAgent | undefined;
  if (config.server) {
    if (!config.trustedKey) fail('updaterd', new Error('--server needs --trusted-key: releases are only installed when their signature verifies'));
    agent = new UpdateAgent({
      slotsDir: config.slotsDir,
      server: config.server,
      track: config.track,
      machineId,
      bootId: await currentBootId(),
      trustedKey: await loadPublicKey(config.trustedKey),
      fallbackVersion: config.version,
      logger,
      ...(maxBytesPerSecond ? { maxBytesPerSecond } : {}),
      ...(config.installPriority === 'idle' ? { worker: { script: fileURLToPath(new URL('./install-worker.js', import.meta.url)), prefix: priorityPrefix('idle') } } : {}),
    });
  }
  const kv = new KvClient({ endpoints: config.kvEndpoints });
  const usesLock = config.rebootStrategy === 'etcd-lock' || config.rebootStrategy === 'best-effort';
  const statusOf = agent;
  const rebootManager = new RebootManager({
    strategy: config.rebootStrategy,
    machineId,
    source: statusOf && { getStatus: () => statusOf.snapshot(), onStatusUpdate: (listener) => statusOf.onStatus(listener) },
    reboot: (await chooseRebootAction(config.rebootCommand))?.action,
    semaphore: usesLock ? new KvSemaphore(kv, config.rebootGroup) : undefined,
    kvAvailable: async () => (await kv.health()).some((endpoint) => endpoint.healthy),
    window,
    healthy: marker.marked.then((slot) => slot !== undefined),
    lockBackoff: { firstMs: config.lockRetry, maxMs: Math.max(config.lockRetry, 300_000) },
    unlockBackoff: { firstMs: config.unlockRetry, maxMs: Math.max(config.unlockRetry, 300_000) },
    logger,
  });
  // A release on trial needs --healthy-after of good health to be kept: a deadline not longer than
  // that would roll back every update, so it then counts from the end of --healthy-after.
  const trialDeadlineMs = config.trialDeadline > 0 && config.trialDeadline <= config.healthyAfter ? config.healthyAfter + config.trialDeadline : config.trialDeadline;
  if (trialDeadlineMs !== config.trialDeadline) logger.warn({ trialDeadlineMs, healthyAfterMs: config.healthyAfter }, '--trial-deadline is not longer than --healthy-after: the trial gets --healthy-after plus --trial-deadline');
  const trial = new TrialDeadline({
    slotsDir: config.slotsDir,
    deadlineMs: trialDeadlineMs,
    healthy: marker.marked,
    onExpired: (expired) => {
      void (async () => {
        const fallback = (await readSlotManifest(config.slotsDir, otherSlot(expired.slot)).catch(() => undefined))?.version ?? '0.0.0';
        logger.error({ slot: expired.slot, bootedAt: expired.bootedAt, deadline: new Date(expired.deadlineAt).toISOString(), fallbackVersion: fallback }, 'the release on trial did not become healthy by its deadline: rolling back');
        await rebootManager.rollBack(fallback);
      })().catch((error: unknown) => logger.error({ err: error }, 'rollback failed'));
    },
  });
  // Keeps the process alive between checks.
  const keepAlive = setInterval(() => undefined, 60_000);
  let checkTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let published: PublishedAgent | undefined;
  exitOnSignals({
    logger,
    close: async () => {
      stopping = true;
      marker.stop();
      trial.stop();
      rebootManager.stop();
      clearInterval(keepAlive);
      clearTimeout(checkTimer);
      await published?.close();
    },
  });
  marker.start();
  const onTrial = await trial.start().catch((error: unknown) => {
    logger.warn({ err: error }, 'cannot tell whether this boot is a trial: no trial deadline');
    return undefined;
  });
  if (onTrial) logger.info({ slot: onTrial.slot, deadline: new Date(onTrial.deadlineAt).toISOString() }, 'booted a release on trial: it must become healthy by its deadline or the machine rolls back');
  // Before the status goes out (D-Bus, reboot manager): an install earlier in this boot still waits for its reboot.
  await agent?.restore().catch((error: unknown) => logger.warn({ err: error }, 'cannot read the prefs'));
  if (agent && config.dbusAddress !== 'none') {
    try {
      published = await publishAgentOnDbus(agent, { address: config.dbusAddress, logger });
      logger.info({ bus: describeAddress(config.dbusAddress), name: UPDATE_ENGINE_BUS_NAME }, 'update engine on D-Bus');
    } catch (error) {
      // The update itself does not need D-Bus: keep updating, without the status interface.
      logger.warn({ err: error }, 'not on D-Bus: updatectl status/check/update/watch will not reach this updaterd');
    }
  }
  try {
    await rebootManager.start();
  } catch (error) {
    fail('updaterd', error);
  }
  if (agent) {
    const updater = agent;
    const fuzzed = (ms: number) => Math.max(0, ms + Math.round((Math.random() - 0.5) * config.checkFuzz));
    let serverErrorsInARow = 0;
    const schedule = (delay: number) => {
      if (stopping) return;
      checkTimer = setTimeout(() => {
        let failed = false;
        updater
          .checkOnce()
          .then((result) => {
            failed = result === 'failed';
            logger.info({ result, status: updater.status }, 'update check done');
          })
          .catch((error: unknown) => logger.error({ err: error }, 'update check crashed'))
          .finally(() => {
            const next = nextCheckInterval(config.checkInterval, serverErrorsInARow, updater.lastErrorCode, failed);
            if (next.serverErrorsInARow > 0) logger.warn({ nextCheckInMs: next.intervalMs, errorCode: updater.lastErrorCode }, 'the update server failed; backing off');
            serverErrorsInARow = next.serverErrorsInARow;
            schedule(fuzzed(next.intervalMs));
          });
      }, delay);
    };
    // update_engine marks the booted slot good before its first update attempt; the other order
    // would let marking the booted slot good take the top priority back from a slot just installed.
    void marker.marked.then(() => schedule(fuzzed(config.firstCheckDelay)));
  }
  logger.info({ slotsDir: config.slotsDir, healthyAfterMs: config.healthyAfter, trialDeadlineMs, machineId, rebootStrategy: config.rebootStrategy }, 'updaterd ready');
}
