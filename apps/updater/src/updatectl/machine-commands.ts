import { readFile } from 'node:fs/promises';
import { Command, Option, OperationError, UsageError, formatJson, type Streams } from '@minicore/cli';
import { KvClient } from '@minicore/kv-client';
import { formatStatusLines, UpdateEngineClient, UpdateStatus, type UpdateEngineStatus, type UpdateStatusName } from '@minicore/update-engine-dbus';
import { KvSemaphore } from '../locksmith/kv-semaphore.js';
import type { Semaphore } from '../locksmith/semaphore.js';
import { parseDuration } from './duration.js';

type Output = 'table' | 'json';

export const DEFAULT_KV_ENDPOINTS = 'http://127.0.0.1:2379';

interface MachineGlobals {
  dbusAddress?: string;
  kvEndpoints?: string;
  output: Output;
}

function duration(flag: string) {
  return (text: string) => {
    const ms = parseDuration(text);
    if (ms === undefined) throw new UsageError(`invalid ${flag} "${text}": expected a duration such as 30s, 15m or 1h`);
    return ms;
  };
}

function statusName(text: string): UpdateStatusName {
  const name = text.toUpperCase().startsWith('UPDATE_STATUS_') ? text.toUpperCase() : `UPDATE_STATUS_${text.toUpperCase()}`;
  const known = Object.values(UpdateStatus) as string[];
  if (!known.includes(name)) throw new UsageError(`unknown status "${text}": expected one of ${known.join(', ')}`);
  return name as UpdateStatusName;
}

async function connect(command: Command): Promise<{ client: UpdateEngineClient; output: Output }> {
  const all = command.optsWithGlobals<MachineGlobals>();
  try {
    return { client: await UpdateEngineClient.connect({ address: all.dbusAddress, attempts: 2, retryDelayMs: 500 }), output: all.output };
  } catch (error) {
    throw new OperationError(`${(error as Error).message} (is updaterd running with --server? pass --dbus-address for a bus other than the system bus)`);
  }
}

function semaphoreOf(command: Command): { semaphore: KvSemaphore; output: Output } {
  const all = command.optsWithGlobals<MachineGlobals & { group?: string }>();
  const endpoints = (all.kvEndpoints ?? DEFAULT_KV_ENDPOINTS).split(',').map((url) => url.trim().replace(/\/$/, '')).filter(Boolean);
  for (const url of endpoints) if (!URL.canParse(url)) throw new UsageError(`"${url}" is not a kv endpoint URL such as ${DEFAULT_KV_ENDPOINTS}`);
  if (endpoints.length === 0) throw new UsageError('no kv endpoint: pass --kv-endpoints URL[,URL...]');
  return { semaphore: new KvSemaphore(new KvClient({ endpoints }), all.group ?? ''), output: all.output };
}

async function localMachineId(): Promise<string> {
  const id = (await readFile('/etc/machine-id', 'utf8').catch(() => '')).trim();
  if (!id) throw new UsageError('no machine id given and /etc/machine-id is empty: pass the machine id');
  return id;
}

async function onKv<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new OperationError(`${what}: ${(error as Error).message}`);
  }
}

function semaphoreText(s: Semaphore): string {
  const holders = s.holders ?? [];
  return `Available: ${s.semaphore}\nMax: ${s.max}\n${holders.length ? `\nMACHINE ID\n${holders.join('\n')}\n` : ''}`;
}

/** One line per status for `watch`: the -status fields on a line, or one JSON document per line. */
function statusLine(status: UpdateEngineStatus, output: Output): string {
  return output === 'json' ? `${JSON.stringify(status)}\n` : `${formatStatusLines(status).replaceAll('\n', ' ')}\n`;
}

/**
 * The machine-side commands: update_engine_client's status/check/update/watch over D-Bus to the
 * local updaterd, and locksmithctl's status/unlock/set-max on the reboot semaphore in kv.
 */
export function addMachineCommands(program: Command, streams: Streams): void {
  program.addOption(new Option('--dbus-address <address>', 'D-Bus address of the machine’s updaterd (default: the system bus)').env('UPDATECTL_DBUS_ADDRESS'));
  program.addOption(new Option('--kv-endpoints <urls>', `kv client URLs holding the reboot semaphore (default ${DEFAULT_KV_ENDPOINTS})`).env('UPDATECTL_KV_ENDPOINTS'));

  program
    .command('status')
    .description('the local updaterd’s status over D-Bus (update_engine_client -status)')
    .action(async (_options: unknown, command: Command) => {
      const { client, output } = await connect(command);
      try {
        const status = await client.getStatus();
        streams.stdout(output === 'json' ? formatJson(status) : `${formatStatusLines(status)}\n`);
      } finally {
        client.close();
      }
    });

  program
    .command('check')
    .description('ask updaterd to check for an update now and return (update_engine_client -check_for_update)')
    .action(async (_options: unknown, command: Command) => {
      const { client, output } = await connect(command);
      try {
        await client.attemptUpdate();
        const status = await client.getStatus();
        streams.stdout(output === 'json' ? formatJson({ requested: true, status }) : 'Initiating update check.\n');
      } finally {
        client.close();
      }
    });

  program
    .command('reset-status')
    .description('after an installed update, back to idle without rebooting (the new slot stays first)')
    .action(async (_options: unknown, command: Command) => {
      const { client, output } = await connect(command);
      try {
        await client.resetStatus();
        const status = await client.getStatus();
        streams.stdout(output === 'json' ? formatJson(status) : `${formatStatusLines(status)}\n`);
      } catch (error) {
        throw new OperationError((error as Error).message);
      } finally {
        client.close();
      }
    });

  program
    .command('update')
    .description('check, and wait until the update is installed (exit 0), there is none (exit 0) or it failed (exit 1)')
    .addOption(new Option('--timeout <duration>', 'give up after this long').argParser(duration('--timeout')).default(3_600_000, '1h'))
    .action(async (options: { timeout: number }, command: Command) => {
      const { client, output } = await connect(command);
      try {
        const outcome = await waitForUpdate(client, options.timeout);
        const messages = { updated: 'Update installed; reboot to use it.', noupdate: 'No update available.', failed: 'Update failed.' } as const;
        if (output === 'json') streams.stdout(formatJson({ result: outcome.result, status: outcome.status }));
        else streams.stdout(`${formatStatusLines(outcome.status)}\n${messages[outcome.result]}\n`);
        if (outcome.result === 'failed') throw new OperationError(messages.failed);
      } finally {
        client.close();
      }
    });

  program
    .command('watch')
    .description('print updaterd’s status and every StatusUpdate signal (update_engine_client -watch_for_updates)')
    .addOption(new Option('--until <status>', 'exit once this status is seen, e.g. UPDATED_NEED_REBOOT').argParser(statusName))
    .addOption(new Option('--timeout <duration>', 'exit after this long (exit 1 when --until was not seen)').argParser(duration('--timeout')))
    .action(async (options: { until?: UpdateStatusName; timeout?: number }, command: Command) => {
      const { client, output } = await connect(command);
      try {
        let finish: (reached: boolean) => void = () => undefined;
        const done = new Promise<boolean>((resolve) => (finish = resolve));
        const show = (status: UpdateEngineStatus) => {
          streams.stdout(statusLine(status, output));
          if (options.until && status.currentOperation === options.until) finish(true);
        };
        await client.onStatusUpdate(show);
        show(await client.getStatus());
        const timer = options.timeout === undefined ? undefined : setTimeout(() => finish(options.until === undefined), options.timeout);
        const reached = await done;
        clearTimeout(timer);
        if (!reached) throw new OperationError(`${options.until} not seen within ${options.timeout} ms`);
      } finally {
        client.close();
      }
    });

  const lock = program.command('lock').description('the reboot semaphore in kv (locksmith’s key and JSON)').option('--group <group>', 'locksmith group (default: the cluster-wide semaphore)');
  lock
    .command('status')
    .description('free places, max, and the machines holding it')
    .action(async (_options: unknown, command: Command) => {
      const { semaphore, output } = semaphoreOf(command);
      const { semaphore: s } = await onKv('cannot read the reboot semaphore', () => semaphore.get());
      streams.stdout(output === 'json' ? formatJson({ key: semaphore.key, ...s }) : semaphoreText(s));
    });
  lock
    .command('unlock [machine-id]')
    .description('release a machine’s hold (default: this machine, /etc/machine-id)')
    .action(async (machineId: string | undefined, _options: unknown, command: Command) => {
      const { semaphore, output } = semaphoreOf(command);
      const holder = machineId ?? (await localMachineId());
      const s = await onKv(`cannot unlock ${holder}`, () => semaphore.unlock(holder));
      streams.stdout(output === 'json' ? formatJson({ key: semaphore.key, unlocked: holder, ...s }) : `Unlocked ${holder}\n${semaphoreText(s)}`);
    });
  lock
    .command('set-max <n>')
    .description('how many machines may reboot at once')
    .action(async (text: string, _options: unknown, command: Command) => {
      const max = Number(text);
      if (!Number.isInteger(max) || max < 0) throw new UsageError(`invalid max "${text}": expected a whole number of at least 0`);
      const { semaphore, output } = semaphoreOf(command);
      const { old, now } = await onKv('cannot set the semaphore’s max', () => semaphore.setMax(max));
      streams.stdout(output === 'json' ? formatJson({ key: semaphore.key, oldMax: old.max, ...now }) : `Old-Max: ${old.max}\nMax: ${now.max}\n`);
    });
}

type UpdateResult = 'updated' | 'noupdate' | 'failed';

/**
 * update_engine_client -update: AttemptUpdate, then follow the signals (and poll GetStatus every
 * second, in case a signal is lost) until UPDATED_NEED_REBOOT, an error report, or IDLE again.
 */
async function waitForUpdate(client: UpdateEngineClient, timeoutMs: number): Promise<{ result: UpdateResult; status: UpdateEngineStatus }> {
  let settle: (value: { result: UpdateResult; status: UpdateEngineStatus }) => void = () => undefined;
  const settled = new Promise<{ result: UpdateResult; status: UpdateEngineStatus }>((resolve) => (settle = resolve));
  let active = false;
  let failed = false;
  const see = (status: UpdateEngineStatus) => {
    if (status.currentOperation === UpdateStatus.UpdatedNeedReboot) return settle({ result: 'updated', status });
    if (status.currentOperation === UpdateStatus.ReportingErrorEvent) failed = true;
    if (status.currentOperation !== UpdateStatus.Idle) active = true;
    else if (active) settle({ result: failed ? 'failed' : 'noupdate', status });
  };
  const unsubscribe = await client.onStatusUpdate(see);
  const before = await client.getStatus();
  if (before.currentOperation === UpdateStatus.UpdatedNeedReboot) {
    unsubscribe();
    return { result: 'updated', status: before };
  }
  await client.attemptUpdate();
  const poll = setInterval(() => void client.getStatus().then(see, () => undefined), 1000);
  const timer = setTimeout(() => settle({ result: 'failed', status: before }), timeoutMs);
  try {
    const outcome = await settled;
    if (outcome.status === before && !active) throw new OperationError(`no outcome within ${timeoutMs} ms`);
    return outcome;
  } finally {
    clearInterval(poll);
    clearTimeout(timer);
    unsubscribe();
  }
}
