import path from 'node:path';
import { Command, Option, OperationError, UsageError, createCli, formatJson, formatTable, type Streams } from '@minicore/cli';
import { decodeErrorCode } from '@minicore/omaha';
import { writeReleaseKeyPair } from '@minicore/release';
import type { ChannelRecord, GroupRecord, InstanceRecord, PackageRecord, RolloutPolicy, RolloutStatus } from '../api/types.js';
import { AdminClient } from './client.js';
import { formatDuration, parseDuration } from './duration.js';
import { addMachineCommands } from './machine-commands.js';

type Output = 'table' | 'json';

const DEFAULT_SERVER = 'http://127.0.0.1:4005';

function adminOf(command: Command): { api: AdminClient; output: Output } {
  const all = command.optsWithGlobals<{ server?: string; endpoint?: string; token?: string; output: Output }>();
  const server = (all.server ?? all.endpoint ?? DEFAULT_SERVER).replace(/\/$/, '');
  if (!URL.canParse(server)) throw new UsageError(`"${server}" is not a server URL such as ${DEFAULT_SERVER}`);
  if (!all.token) throw new UsageError('no admin token: pass --token T or set UPDATECTL_TOKEN');
  return { api: new AdminClient(server, all.token), output: all.output };
}

function duration(flag: string) {
  return (text: string) => {
    const ms = parseDuration(text);
    if (ms === undefined) throw new UsageError(`invalid ${flag} "${text}": expected a duration such as 15m, 1h or 1d`);
    return ms;
  };
}

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`invalid --max-per-period "${text}": expected a whole number of at least 1`);
  return value;
}

interface PolicyFlags {
  maxPerPeriod?: number;
  period?: number;
  timeout?: number;
  safeMode?: boolean;
  officeHours?: boolean;
  timezone?: string;
  enabled?: boolean;
}

function policyOf(flags: PolicyFlags): Partial<RolloutPolicy> {
  const policy: Partial<RolloutPolicy> = {};
  if (flags.maxPerPeriod !== undefined) policy.maxUpdatesPerPeriod = flags.maxPerPeriod;
  if (flags.period !== undefined) policy.periodMs = flags.period;
  if (flags.timeout !== undefined) policy.updateTimeoutMs = flags.timeout;
  if (flags.safeMode !== undefined) policy.safeMode = flags.safeMode;
  if (flags.officeHours !== undefined) policy.officeHours = flags.officeHours;
  if (flags.timezone !== undefined) policy.timezone = flags.timezone;
  if (flags.enabled !== undefined) policy.updatesEnabled = flags.enabled;
  return policy;
}

function addPolicyOptions(command: Command): Command {
  return command
    .addOption(new Option('--max-per-period <n>', 'most updates granted per period').argParser(positiveInteger))
    .addOption(new Option('--period <duration>', 'the period of --max-per-period, e.g. 15m').argParser(duration('--period')))
    .addOption(new Option('--timeout <duration>', 'an update not finished after this counts as timed out, e.g. 1d').argParser(duration('--timeout')))
    .option('--safe-mode', 'one update at a time until one has been attempted; stop (pause the group) when updates time out or the first one fails')
    .option('--no-safe-mode', 'turn safe mode off')
    .option('--office-hours', 'grant updates only Monday-Friday 09:00-17:00 (in --timezone)')
    .option('--no-office-hours', 'grant updates at any time')
    .option('--timezone <zone>', 'IANA timezone for --office-hours, e.g. Europe/Berlin')
    .option('--enabled', 'updates enabled (same as group resume)')
    .option('--no-enabled', 'updates disabled (same as group pause)');
}

function policyText(policy: RolloutPolicy): string {
  const parts = [policy.updatesEnabled ? 'enabled' : 'paused', `max ${policy.maxUpdatesPerPeriod}/${formatDuration(policy.periodMs)}`, `timeout ${formatDuration(policy.updateTimeoutMs)}`];
  if (policy.safeMode) parts.push('safe-mode');
  if (policy.officeHours) parts.push(`office-hours(${policy.timezone})`);
  return parts.join(', ');
}

export function createUpdatectl(streams: Streams): Command {
  const program = createCli<Output>(
    {
      name: 'updatectl',
      description: 'Manages Minicore releases on an update-server (channels, groups, rollouts), makes release keys, and talks to the local updaterd (D-Bus) and the reboot semaphore (kv)',
      version: '0.1.0',
      endpoint: { flag: 'endpoint', env: 'UPDATECTL_ENDPOINT', default: DEFAULT_SERVER, description: 'alias of --server' },
      outputs: ['table', 'json'],
    },
    streams,
  );
  program.options.find((option) => option.long === '--endpoint')?.hideHelp();
  program.addOption(new Option('--server <url>', `update-server URL (default ${DEFAULT_SERVER})`).env('UPDATECTL_SERVER'));
  program.addOption(new Option('--token <token>', 'admin token of the update-server').env('UPDATECTL_TOKEN'));

  addMachineCommands(program, streams);

  const print = (output: Output, value: unknown, table: () => string) => streams.stdout(output === 'json' ? formatJson(value) : table());

  program
    .command('keygen')
    .description('make an ed25519 key pair for signing releases: KEYFILE (private, 0600) and KEYFILE.pub')
    .requiredOption('--out <keyfile>', 'where the private key goes')
    .action(async (options: { out: string }, command: Command) => {
      const output = command.optsWithGlobals<{ output: Output }>().output;
      let result;
      try {
        result = await writeReleaseKeyPair(path.resolve(options.out));
      } catch (error) {
        throw new OperationError((error as Error).message);
      }
      print(output, result, () => `private key ${result.privateFile}\npublic key  ${result.publicFile}\nkey id      ${result.keyId}\n`);
    });

  const release = program.command('release').description('release bundles on the server');
  release
    .command('upload <file>')
    .description('upload a signed bundle (from npm run release); the server checks every file hash')
    .action(async (file: string, _options: unknown, command: Command) => {
      const { api, output } = adminOf(command);
      const pkg = await api.upload<PackageRecord>(path.resolve(file));
      print(output, pkg, () => formatTable(['VERSION', 'FILE', 'SIZE', 'FILES', 'KEY'], [[pkg.version, pkg.filename, pkg.size, pkg.files, pkg.keyId]]));
    });
  release
    .command('list')
    .description('list uploaded releases')
    .action(async (_options: unknown, command: Command) => {
      const { api, output } = adminOf(command);
      const packages = await api.request<PackageRecord[]>('GET', '/packages');
      print(output, packages, () => formatTable(['VERSION', 'FILE', 'SIZE', 'BUILT', 'UPLOADED'], packages.map((p) => [p.version, p.filename, p.size, p.buildTime, p.uploadedAt])));
    });

  const channel = program.command('channel').description('channels: a name pointing at the release being rolled out');
  const showChannel = (output: Output, c: ChannelRecord) => print(output, c, () => formatTable(['CHANNEL', 'VERSION'], [[c.name, c.version]]));
  channel
    .command('create <name> [version]')
    .description('create a channel, optionally pointing at an uploaded version')
    .action(async (name: string, version: string | undefined, _options: unknown, command: Command) => {
      const { api, output } = adminOf(command);
      showChannel(output, await api.request<ChannelRecord>('POST', '/channels', version ? { name, version } : { name }));
    });
  channel
    .command('promote <name> <version>')
    .description('point a channel at an uploaded version: groups following it start rolling it out')
    .action(async (name: string, version: string, _options: unknown, command: Command) => {
      const { api, output } = adminOf(command);
      showChannel(output, await api.request<ChannelRecord>('PUT', `/channels/${encodeURIComponent(name)}`, { version }));
    });
  channel
    .command('list')
    .action(async (_options: unknown, command: Command) => {
      const { api, output } = adminOf(command);
      const channels = await api.request<ChannelRecord[]>('GET', '/channels');
      print(output, channels, () => formatTable(['CHANNEL', 'VERSION', 'UPDATED'], channels.map((c) => [c.name, c.version, c.updatedAt])));
    });

  const group = program.command('group').description('groups: machines of one track, a channel and a rollout policy');
  const showGroups = (output: Output, value: GroupRecord | GroupRecord[]) => {
    const list = Array.isArray(value) ? value : [value];
    print(output, value, () => formatTable(['GROUP', 'TRACK', 'CHANNEL', 'POLICY', 'ROLLOUT'], list.map((g) => [g.name, g.track, g.channel, policyText(g.policy), g.rolloutInProgress ? 'in progress' : 'idle'])));
  };
  addPolicyOptions(group.command('create <name>').description('create a group (updates start paused unless --enabled; resume with group resume)'))
    .requiredOption('--channel <channel>', 'channel the group follows')
    .requiredOption('--track <track>', 'what machines send as app@track (updaterd --track)')
    .action(async (name: string, options: PolicyFlags & { channel: string; track: string }, command: Command) => {
      const { api, output } = adminOf(command);
      showGroups(output, await api.request<GroupRecord>('POST', '/groups', { name, channel: options.channel, track: options.track, policy: policyOf(options) }));
    });
  addPolicyOptions(group.command('update <name>').description('change a group’s channel, track or policy'))
    .option('--channel <channel>', 'channel the group follows')
    .option('--track <track>', 'what machines send as app@track')
    .action(async (name: string, options: PolicyFlags & { channel?: string; track?: string }, command: Command) => {
      const { api, output } = adminOf(command);
      const body = { ...(options.channel ? { channel: options.channel } : {}), ...(options.track ? { track: options.track } : {}), policy: policyOf(options) };
      showGroups(output, await api.request<GroupRecord>('PATCH', `/groups/${encodeURIComponent(name)}`, body));
    });
  for (const [verb, text] of [['pause', 'stop granting updates to the group'], ['resume', 'grant updates to the group again']] as const) {
    group
      .command(`${verb} <name>`)
      .description(text)
      .action(async (name: string, _options: unknown, command: Command) => {
        const { api, output } = adminOf(command);
        showGroups(output, await api.request<GroupRecord>('POST', `/groups/${encodeURIComponent(name)}/${verb}`));
      });
  }
  group.command('list').action(async (_options: unknown, command: Command) => {
    const { api, output } = adminOf(command);
    showGroups(output, await api.request<GroupRecord[]>('GET', '/groups'));
  });

  program
    .command('rollout')
    .description('rollout progress')
    .command('status <group>')
    .description('instances per status and version in a group, and the policy accounting')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { api, output } = adminOf(command);
      const status = await api.request<RolloutStatus>('GET', `/groups/${encodeURIComponent(name)}/rollout`);
      print(output, status, () => {
        const head = `group ${status.group.name} (track ${status.group.track}) follows ${status.group.channel} at ${status.channelVersion ?? 'no version'}; ${policyText(status.group.policy)}; rollout ${status.group.rolloutInProgress ? 'in progress' : 'idle'}\n`;
        const rows = Object.entries(status.statuses).map(([s, n]) => [s, n]);
        const versions = Object.entries(status.versions).map(([v, n]) => [v, n]);
        const failed = status.failed.length > 0 ? `\n${formatTable(['FAILED', 'ERROR'], status.failed.map((f) => [f.machineId, `${f.errorName}${f.errorCode === null ? '' : ` (${f.errorCode})`}`]))}` : '';
        return `${head}${status.instances} instance(s), ${status.stats.updated} on ${status.channelVersion ?? '-'}; granted in period ${status.stats.grantedInLastPeriod}, in progress ${status.stats.inProgress}, timed out ${status.stats.timedOut}\n\n${formatTable(['STATUS', 'INSTANCES'], rows)}\n${formatTable(['VERSION', 'INSTANCES'], versions)}${failed}`;
      });
    });

  program
    .command('instances')
    .description('machines that checked in during the last day')
    .option('--group <group>', 'only this group')
    .action(async (options: { group?: string }, command: Command) => {
      const { api, output } = adminOf(command);
      const instances = await api.request<InstanceRecord[]>('GET', `/instances${options.group ? `?group=${encodeURIComponent(options.group)}` : ''}`);
      print(output, instances, () =>
        formatTable(
          ['MACHINE', 'IP', 'VERSION', 'GROUP', 'STATUS', 'LAST CHECK', 'ERROR'],
          instances.map((i) => [i.machineId, i.ip, i.version, i.group, i.statusName, i.lastCheck, i.lastErrorCode === null ? '' : decodeErrorCode(i.lastErrorCode).name]),
        ),
      );
    });

  return program;
}
