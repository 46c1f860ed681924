import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Command, Option, OperationError, UsageError, createCli, formatJson, formatTable, globals, type Streams } from '@minicore/cli';
import type { AnnouncementView, ContainerDetails, ContainerSummary, ImageSummary, OutputFrame, PruneResponse, RunResponse, TransferResponse } from '../api/index.js';
import { formatMemory } from '../spec/index.js';
import { RunnerClient } from './client.js';
import { toRunRequest, type RunFlags } from './run-options.js';

type Output = 'table' | 'json';

/** Where a command's outcome goes beyond 0/1/2: `run --attach` and `exec` exit with the container's code. */
export interface RunctlResult {
  exitCode?: number;
}

export interface RunctlContext {
  streams: Streams;
  /** Raw container output (bytes, not text). */
  write: { stdout: (data: Buffer) => void; stderr: (data: Buffer) => void };
  environment: NodeJS.ProcessEnv;
  /** Signals that stop an attached container; tests pass an emitter. */
  signals: Pick<NodeJS.Process, 'on' | 'off'>;
}

const repeat = (value: string, previous: string[]) => [...previous, value];
const shortId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

function client(command: Command): { api: RunnerClient; output: Output } {
  const options = globals<Output>(command);
  return { api: new RunnerClient(options.endpoints[0]!), output: options.output };
}

function size(bytes: number): string {
  return bytes >= 1000 * 1000 ? `${(bytes / 1000 / 1000).toFixed(1)}MB` : `${(bytes / 1000).toFixed(1)}kB`;
}

function ago(iso: string | null): string {
  if (!iso) return '';
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86400)}d ago`;
}

const enc = encodeURIComponent;

/**
 * Writes output frames as they come and returns the exit frame, if any; an error frame is the
 * engine failing mid-stream.
 */
async function pump(frames: AsyncIterable<OutputFrame> & { close(): void }, context: RunctlContext): Promise<{ code: number; oomKilled: boolean } | undefined> {
  try {
    for await (const frame of frames) {
      if ('stream' in frame) context.write[frame.stream](Buffer.from(frame.data, 'base64'));
      else if ('exit' in frame) return frame.exit;
      else throw new OperationError(frame.error.message, frame.error);
    }
    return undefined;
  } finally {
    // Leaving the loop early must not leave the response (and its socket) open: runctl would not exit.
    frames.close();
  }
}

export function createRunctl(context: RunctlContext): { program: Command; result: RunctlResult } {
  const result: RunctlResult = {};
  const { streams } = context;
  const program = createCli<Output>(
    {
      name: 'runctl',
      description: "Runs and inspects this machine's containers through runnerd",
      version: '0.1.0',
      endpoint: { flag: 'endpoint', env: 'RUNCTL_ENDPOINT', default: 'http://127.0.0.1:4003', description: 'runnerd URL' },
      outputs: ['table', 'json'],
    },
    streams,
  ).enablePositionalOptions();

  program
    .command('run')
    .description('Create and start a container (detached; --attach stays in the foreground and exits with its exit code)')
    .argument('<image>', 'image, e.g. minicore/busybox:latest')
    .argument('[command...]', 'command and arguments (replace the image CMD)')
    .option('--name <name>', 'container name')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable; KEY alone copies it from here)', repeat, [])
    .option('-p, --publish <[IP:][HOST_PORT:]PORT[/PROTO]>', 'publish a port (repeatable)', repeat, [])
    .option('-v, --volume <SOURCE:TARGET[:ro]>', 'bind a host path or named volume (repeatable)', repeat, [])
    .option('-l, --label <key=value>', 'label (repeatable)', repeat, [])
    .option('-m, --memory <size>', 'memory limit, e.g. 64m or 1g (no swap beyond it: over it, the container is OOM-killed)')
    .option('--cpus <n>', 'CPU limit, e.g. 0.5')
    .option('--restart <policy>', 'no | on-failure[:N] | always | unless-stopped, applied by runnerd', 'no')
    .option('--rm', 'remove the container when it stops')
    .option('--announce <NAME:PORT>', 'keep /services/NAME/<machine-id> in kv while it runs (and is healthy), e.g. web:8080 (repeatable)', repeat, [])
    .option('--health-cmd <command>', 'shell command that exits 0 while the container is healthy')
    .option('--health-interval <duration>', 'time between health checks (default 30s)')
    .option('--health-timeout <duration>', 'longest a health check may take (default 30s)')
    .option('--health-retries <n>', 'failed checks in a row that make it unhealthy (default 3)')
    .option('--health-start-period <duration>', 'failures in this first period do not count (default 0s)')
    .option('-a, --attach', 'stay attached: stream output, exit with the container exit code, stop it on SIGTERM/SIGINT')
    .option('-d, --detach', 'print the id and return (the default)')
    .addOption(new Option('--stop-timeout <seconds>', 'with --attach: grace period before SIGKILL when stopping on a signal').default('10').argParser((v) => v))
    .passThroughOptions()
    .action(async (image: string, command: string[], flags: RunFlags & { attach?: boolean; detach?: boolean; stopTimeout: string }, cmd: Command) => {
      if (flags.attach && flags.detach) throw new UsageError('--attach and --detach exclude each other');
      const grace = Number(flags.stopTimeout);
      if (!Number.isInteger(grace) || grace < 0) throw new UsageError(`invalid --stop-timeout "${flags.stopTimeout}": expected whole seconds`);
      const request = toRunRequest(image, command, flags, context.environment);
      const { api, output } = client(cmd);
      if (!flags.attach) {
        const created = await api.json<RunResponse>('POST', '/v1/containers', request);
        streams.stdout(output === 'json' ? formatJson(created) : `${created.id}\n`);
        return;
      }
      const created = await api.json<RunResponse>('POST', '/v1/containers', { ...request, start: false });
      result.exitCode = await attach(api, created, grace, request.memoryBytes, context);
    });

  program
    .command('ps')
    .description("List this machine's containers (running ones; -a for all)")
    .option('-a, --all', 'include stopped containers')
    .action(async (flags: { all?: boolean }, cmd: Command) => {
      const { api, output } = client(cmd);
      const { containers } = await api.json<{ containers: ContainerSummary[] }>('GET', `/v1/containers?all=${flags.all ? 'true' : 'false'}`);
      if (output === 'json') return void streams.stdout(formatJson(containers));
      streams.stdout(
        formatTable(
          ['CONTAINER ID', 'NAME', 'IMAGE', 'STATUS', 'RESTART', 'RESTARTS', 'CREATED', 'PORTS'],
          containers.map((c) => [shortId(c.id), c.name, c.image, c.status, c.restartPolicy, c.restarts, ago(c.createdAt), c.ports.join(', ')]),
        ),
      );
    });

  const eachContainer = (verb: string, action: (api: RunnerClient, ref: string, flags: Record<string, unknown>) => Promise<unknown>) =>
    async (refs: string[], flags: Record<string, unknown>, cmd: Command) => {
      const { api, output } = client(cmd);
      const failures: string[] = [];
      const done: unknown[] = [];
      for (const ref of refs) {
        try {
          done.push(await action(api, ref, flags));
          if (output === 'table') streams.stdout(`${ref}\n`);
        } catch (error) {
          if (!(error instanceof OperationError)) throw error;
          failures.push(error.message);
        }
      }
      if (output === 'json') streams.stdout(formatJson(done));
      if (failures.length === 1) throw new OperationError(failures[0]!);
      if (failures.length > 1) throw new OperationError(`${verb} failed for ${failures.length} containers:\n  ${failures.join('\n  ')}`);
    };

  program
    .command('stop')
    .description('Stop containers (SIGTERM, then SIGKILL after the timeout); runnerd will not restart them')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait before killing', '10')
    .action(eachContainer('stop', (api, ref, flags) => api.json('POST', `/v1/containers/${enc(ref)}/stop?timeout=${Number(flags['time'])}`)));

  program
    .command('start')
    .description('Start stopped containers; supervision resumes')
    .argument('<container...>')
    .action(eachContainer('start', (api, ref) => api.json('POST', `/v1/containers/${enc(ref)}/start`)));

  program
    .command('rm')
    .description('Remove containers')
    .argument('<container...>')
    .option('-f, --force', 'stop running containers first (SIGKILL)')
    .action(eachContainer('rm', (api, ref, flags) => api.json('DELETE', `/v1/containers/${enc(ref)}?force=${flags['force'] ? 'true' : 'false'}`)));

  program
    .command('logs')
    .description("Print a container's output")
    .argument('<container>')
    .option('-f, --follow', 'keep following new output until the container stops')
    .option('-n, --tail <lines>', 'only the last N lines')
    .action(async (ref: string, flags: { follow?: boolean; tail?: string }, cmd: Command) => {
      if (flags.tail !== undefined && !/^\d+$/.test(flags.tail)) throw new UsageError(`invalid --tail "${flags.tail}": expected a number of lines`);
      const { api } = client(cmd);
      const query = `follow=${flags.follow ? 'true' : 'false'}${flags.tail === undefined ? '' : `&tail=${flags.tail}`}`;
      await pump(await api.frames('GET', `/v1/containers/${enc(ref)}/logs?${query}`), context);
    });

  program
    .command('inspect')
    .description('Show containers in detail (JSON; the engine document under "engine")')
    .argument('<container...>')
    .action(async (refs: string[], _flags: unknown, cmd: Command) => {
      const { api } = client(cmd);
      const details: ContainerDetails[] = [];
      for (const ref of refs) details.push(await api.json<ContainerDetails>('GET', `/v1/containers/${enc(ref)}`));
      streams.stdout(formatJson(details));
    });

  program
    .command('exec')
    .description('Run a command in a running container; exits with its exit code')
    .argument('<container>')
    .argument('<command...>')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', repeat, [])
    .passThroughOptions()
    .action(async (ref: string, command: string[], flags: { env: string[] }, cmd: Command) => {
      const env = Object.fromEntries(flags.env.map((spec) => {
        const at = spec.indexOf('=');
        if (at <= 0) throw new UsageError(`invalid environment variable "${spec}": expected KEY=VALUE`);
        return [spec.slice(0, at), spec.slice(at + 1)];
      }));
      const { api } = client(cmd);
      const exit = await pump(await api.frames('POST', `/v1/containers/${enc(ref)}/exec`, { command, env }), context);
      if (!exit) throw new OperationError(`lost the connection to runnerd during exec in ${ref}`);
      result.exitCode = exit.code;
    });

  program
    .command('images')
    .description("List the engine's images")
    .action(async (_flags: unknown, cmd: Command) => {
      const { api, output } = client(cmd);
      const { images } = await api.json<{ images: ImageSummary[] }>('GET', '/v1/images');
      if (output === 'json') return void streams.stdout(formatJson(images));
      streams.stdout(formatTable(['IMAGE', 'ID', 'CREATED', 'SIZE'], images.flatMap((image) => (image.tags.length ? image.tags : ['<none>']).map((tag) => [tag, shortId(image.id), ago(image.createdAt), size(image.size)]))));
    });

  program
    .command('import')
    .description('Create an image from a rootfs tarball (as docker import)')
    .argument('<tarball>', 'a tar file of the root filesystem')
    .argument('<name>', 'NAME[:TAG], e.g. minicore/busybox:latest')
    .action(async (tarball: string, name: string, _flags: unknown, cmd: Command) => {
      const match = /^([a-z0-9][a-z0-9._/-]*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?$/.exec(name);
      if (!match) throw new UsageError(`invalid image name "${name}": expected NAME[:TAG] in lower case, e.g. minicore/busybox:latest`);
      const file = await stat(tarball).catch(() => undefined);
      if (!file?.isFile()) throw new UsageError(`no such file: ${tarball}`);
      const { api, output } = client(cmd);
      const repo = match[1]!;
      const tag = match[2] ?? 'latest';
      const image = await api.upload<ImageSummary>(`/v1/images/import?repo=${enc(repo)}&tag=${enc(tag)}`, createReadStream(tarball), 'application/x-tar');
      streams.stdout(output === 'json' ? formatJson(image) : `${image.id}\n`);
    });

  program
    .command('tag')
    .description('Give an image another name (e.g. REGISTRY/NAME:TAG before a push)')
    .argument('<source>', 'image name or id')
    .argument('<target>', '[REGISTRY/]NAME[:TAG]')
    .action(async (source: string, target: string, _flags: unknown, cmd: Command) => {
      const { api, output } = client(cmd);
      const image = await api.json<ImageSummary>('POST', '/v1/images/tag', { source, target });
      streams.stdout(output === 'json' ? formatJson(image) : `${image.id}\n`);
    });

  program
    .command('rmi')
    .description('Remove image names (the image goes with its last name)')
    .argument('<image...>')
    .option('-f, --force', 'also when a stopped container uses it')
    .action(async (images: string[], flags: { force?: boolean }, cmd: Command) => {
      const { api, output } = client(cmd);
      const removed: unknown[] = [];
      for (const image of images) {
        removed.push(await api.json('DELETE', `/v1/images?image=${enc(image)}&force=${flags.force ? 'true' : 'false'}`));
        if (output === 'table') streams.stdout(`${image}\n`);
      }
      if (output === 'json') streams.stdout(formatJson(removed));
    });

  const transfer = (verb: 'push' | 'pull') => async (image: string, flags: { registry?: string }, cmd: Command) => {
    const { api, output } = client(cmd);
    const moved = await api.json<TransferResponse>('POST', `/v1/images/${verb}`, { image, ...(flags.registry ? { registry: flags.registry } : {}) });
    if (output === 'json') return void streams.stdout(formatJson(moved));
    streams.stdout(`${verb === 'push' ? 'pushed' : 'pulled'} ${moved.reference}${moved.digest ? ` (${moved.digest})` : ''}\n${moved.id}\n`);
  };

  program
    .command('push')
    .description("Push an image to a registry (another machine's docker-registry); never to Docker Hub")
    .argument('<image>', 'REGISTRY/NAME[:TAG], or NAME[:TAG] with --registry')
    .option('--registry <HOST:PORT>', 'push NAME:TAG as HOST:PORT/NAME:TAG (the local name stays as it is)')
    .action(transfer('push'));

  program
    .command('pull')
    .description('Pull an image from a registry; never from Docker Hub')
    .argument('<image>', 'REGISTRY/NAME[:TAG], or NAME[:TAG] with --registry')
    .option('--registry <HOST:PORT>', 'pull HOST:PORT/NAME:TAG and name it NAME:TAG here')
    .action(transfer('pull'));

  program
    .command('announcements')
    .description('List the service keys runnerd keeps in kv for this machine\'s containers')
    .action(async (_flags: unknown, cmd: Command) => {
      const { api, output } = client(cmd);
      const { announcements } = await api.json<{ announcements: AnnouncementView[] }>('GET', '/v1/announcements');
      if (output === 'json') return void streams.stdout(formatJson(announcements));
      streams.stdout(
        formatTable(
          ['KEY', 'CONTAINER', 'STATE', 'ENDPOINT', 'ERROR'],
          announcements.map((a) => [a.key, a.container, a.state, a.value ? `${a.value.host}:${a.value.port}` : '', a.lastError ?? '']),
        ),
      );
    });

  program
    .command('prune')
    .description("Remove this machine's stopped containers")
    .action(async (_flags: unknown, cmd: Command) => {
      const { api, output } = client(cmd);
      const pruned = await api.json<PruneResponse>('POST', '/v1/prune');
      if (output === 'json') return void streams.stdout(formatJson(pruned));
      streams.stdout(pruned.removed.map((c) => `${c.name} ${shortId(c.id)}\n`).join('') + `removed ${pruned.removed.length} container(s)\n`);
    });

  return { program, result };
}

/**
 * The foreground of `run --attach`: output as it comes, the container's exit code as runctl's, and
 * SIGTERM/SIGINT turned into a stop of the container with a grace period (as a systemd unit expects
 * of its main process). The stop goes through runnerd, so the container is not restarted.
 */
async function attach(api: RunnerClient, created: RunResponse, graceSeconds: number, memoryBytes: number | undefined, context: RunctlContext): Promise<number> {
  let stopping: Promise<unknown> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    context.streams.stderr(`runctl: ${signal}: stopping ${created.name} (up to ${graceSeconds}s before SIGKILL)\n`);
    stopping = api.json('POST', `/v1/containers/${enc(created.id)}/stop?timeout=${graceSeconds}`).catch((error: Error) => {
      context.streams.stderr(`runctl: could not stop ${created.name}: ${error.message}\n`);
    });
  };
  context.signals.on('SIGTERM', onSignal);
  context.signals.on('SIGINT', onSignal);
  try {
    const exit = await pump(await api.frames('POST', `/v1/containers/${enc(created.id)}/attach`), context);
    if (!exit) throw new OperationError(`lost the connection to runnerd while attached to ${created.name}; the container keeps running`);
    if (exit.oomKilled) context.streams.stderr(`runctl: container ${created.name} was killed: out of memory${memoryBytes ? ` (limit ${formatMemory(memoryBytes)})` : ''}\n`);
    return exit.code;
  } finally {
    context.signals.off('SIGTERM', onSignal);
    context.signals.off('SIGINT', onSignal);
    await stopping;
  }
}
