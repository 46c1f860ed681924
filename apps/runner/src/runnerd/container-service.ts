import type { ContainerCreateOptions, ContainerInfo, DockerEngine, OutputChunk } from '@minicore/docker-engine';
import type { Logger } from '@minicore/log';
import { AmbiguousContainer, BadSpec, ContainerRunning, NoSuchContainer, type ContainerDetails, type ContainerSummary, type ExecRequest, type ExitReport, type ImageSummary, type PruneResponse, type RunRequest, type RunResponse } from '../api/index.js';
import { formatRestartPolicy, formatVolumeBinding } from '../spec/index.js';
import { detail, summarize } from './container-view.js';
import { engineCall } from './engine-errors.js';
import { RunnerLabel, ownedBy } from './labels.js';
import type { Supervisor } from './supervisor.js';

export interface ResolvedContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: string;
}

/** A stream of output, and how the process ended once the output is over. */
export interface RunningOutput {
  output: AsyncIterable<OutputChunk> & { close(): void };
  exit: Promise<ExitReport>;
  close(): void;
}

/**
 * The operations behind runnerd's API, on this machine's containers only: every lookup goes through
 * the machine's label filter, so a container runnerd did not create is "no such container" to it.
 */
export class ContainerService {
  constructor(
    private readonly engine: DockerEngine,
    private readonly supervisor: Supervisor,
    private readonly machineId: string,
    private readonly logger: Logger,
  ) {}

  async #owned(all = true): Promise<ContainerInfo[]> {
    return engineCall({ kind: 'other', action: 'list containers' }, () => this.engine.listContainers(ownedBy(this.machineId), all));
  }

  /** By full id, name, or unique id prefix, as docker resolves them. */
  async resolve(ref: string): Promise<ResolvedContainer> {
    const containers = await this.#owned();
    const name = ref.replace(/^\//, '');
    const exact = containers.find((c) => c.Id === ref || c.Names.some((n) => n.replace(/^\//, '') === name));
    const matches = exact ? [exact] : containers.filter((c) => /^[0-9a-f]+$/.test(ref) && c.Id.startsWith(ref));
    if (matches.length === 0) throw NoSuchContainer(ref);
    if (matches.length > 1) throw AmbiguousContainer(ref, matches.length);
    const found = matches[0]!;
    return { id: found.Id, name: (found.Names[0] ?? '').replace(/^\//, ''), labels: found.Labels ?? {}, state: found.State };
  }

  async run(request: RunRequest): Promise<RunResponse> {
    const restart = request.restart ?? { name: 'no', maxRetries: 0 };
    if (request.autoRemove && restart.name !== 'no') throw BadSpec(`--rm cannot be combined with --restart ${formatRestartPolicy(restart)}: a removed container cannot be restarted`);
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const port of request.ports ?? []) {
      const key = `${port.containerPort}/${port.protocol}`;
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: port.hostIp, HostPort: port.hostPort === 0 ? '' : String(port.hostPort) });
    }
    const options: ContainerCreateOptions = {
      Image: request.image,
      Env: Object.entries(request.env ?? {}).map(([key, value]) => `${key}=${value}`),
      Labels: { ...request.labels, [RunnerLabel.managed]: '1', [RunnerLabel.machine]: this.machineId, [RunnerLabel.restart]: formatRestartPolicy(restart) },
      ExposedPorts: exposed,
      HostConfig: {
        PortBindings: bindings,
        Binds: (request.volumes ?? []).map(formatVolumeBinding),
        // Memory and swap equal: no swap, so a container over its limit is OOM-killed rather than slowed.
        ...(request.memoryBytes ? { Memory: request.memoryBytes, MemorySwap: request.memoryBytes } : {}),
        ...(request.nanoCpus ? { NanoCpus: request.nanoCpus } : {}),
        AutoRemove: request.autoRemove ?? false,
        // runnerd restarts containers itself (with backoff, and never one stopped through runctl).
        RestartPolicy: { Name: 'no' },
      },
      ...(request.name ? { name: request.name } : {}),
      ...(request.command ? { Cmd: request.command } : {}),
    };
    const id = await engineCall({ kind: 'create', image: request.image, name: request.name }, () => this.engine.createContainer(options));
    const info = await engineCall({ kind: 'container', ref: id, action: 'inspect' }, () => this.engine.inspectContainer(id));
    const name = info.Name.replace(/^\//, '');
    this.supervisor.adopt(id, name, info.Config.Labels ?? {});
    if (request.start !== false) {
      try {
        await engineCall({ kind: 'container', ref: name, action: 'start' }, () => this.engine.startContainer(id));
      } catch (error) {
        // A container that could not start (port taken, bad command) is not left behind half-made.
        await this.engine.removeContainer(id, { force: true }).catch(() => undefined);
        throw error;
      }
    }
    this.logger.info({ container: name, id, image: request.image }, request.start === false ? 'created' : 'started');
    return { id, name };
  }

  async list(all: boolean): Promise<ContainerSummary[]> {
    const containers = await this.#owned(all);
    const infos = await Promise.all(containers.map((c) => this.engine.inspectContainer(c.Id).catch(() => undefined)));
    return infos
      .filter((info) => info !== undefined)
      .map((info) => summarize(info, this.supervisor.view(info.Id)))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async details(ref: string): Promise<ContainerDetails> {
    const container = await this.resolve(ref);
    const info = await engineCall({ kind: 'container', ref, action: 'inspect' }, () => this.engine.inspectContainer(container.id));
    return detail(info, this.supervisor.view(container.id));
  }

  async start(ref: string): Promise<ContainerSummary> {
    const container = await this.resolve(ref);
    await this.supervisor.markStartedByUser(container.id, container.labels, container.name);
    await engineCall({ kind: 'container', ref, action: 'start' }, () => this.engine.startContainer(container.id));
    return (await this.details(container.id)) satisfies ContainerSummary;
  }

  async stop(ref: string, timeoutSeconds: number): Promise<ContainerSummary> {
    const container = await this.resolve(ref);
    await this.supervisor.markStoppedByUser(container.id);
    await engineCall({ kind: 'container', ref, action: 'stop' }, () => this.engine.stopContainer(container.id, timeoutSeconds));
    return this.details(container.id);
  }

  async remove(ref: string, force: boolean): Promise<{ id: string; name: string }> {
    const container = await this.resolve(ref);
    const info = await engineCall({ kind: 'container', ref, action: 'inspect' }, () => this.engine.inspectContainer(container.id));
    if (info.State.Running && !force) throw ContainerRunning(ref);
    await this.supervisor.markStoppedByUser(container.id);
    await engineCall({ kind: 'container', ref, action: 'remove' }, () => this.engine.removeContainer(container.id, { force }));
    return { id: container.id, name: container.name };
  }

  async logs(ref: string, follow: boolean, tail: number | undefined): Promise<AsyncIterable<OutputChunk> & { close(): void }> {
    const container = await this.resolve(ref);
    return engineCall({ kind: 'container', ref, action: 'read the logs of' }, () => this.engine.logs(container.id, { follow, ...(tail === undefined ? {} : { tail }) }));
  }

  /**
   * Output and exit of a container: a created one is attached, waited for and then started (so
   * not a byte is missed, however fast it exits); a running one is attached as it runs; one that
   * already ended gives its log and its exit.
   */
  async attach(ref: string): Promise<RunningOutput> {
    const container = await this.resolve(ref);
    const id = container.id;
    const info = await engineCall({ kind: 'container', ref, action: 'inspect' }, () => this.engine.inspectContainer(id));
    let oomKilled = false;
    let died: (code: number) => void = () => undefined;
    const exitFromEvent = new Promise<number>((resolve) => (died = resolve));
    // The exit comes from whichever is first: the engine's `die` event, or a wait issued after the
    // start. (A `next-exit` wait sent before the start can reach the engine after a fast container
    // has already exited, and then waits forever; a `not-running` wait after an --rm container is
    // gone answers 404, and the event still has the code.)
    const unsubscribe = this.supervisor.onEvent((event) => {
      if (event.id !== id) return;
      if (event.action === 'oom') oomKilled = true;
      if (event.action === 'die') died(event.exitCode ?? -1);
    });
    const exitAfter = (): Promise<ExitReport> => {
      const waited = this.engine.waitContainer(id, 'not-running').then(
        (result) => result.statusCode,
        () => exitFromEvent,
      );
      return Promise.race([exitFromEvent, waited])
        .then(async (code) => {
          const after = await this.engine.inspectContainer(id).catch(() => undefined);
          return { code, oomKilled: oomKilled || (after?.State.OOMKilled ?? false) };
        })
        .finally(unsubscribe);
    };
    try {
      if (info.State.Status === 'created' || info.State.Running) {
        const output = await engineCall({ kind: 'container', ref, action: 'attach to' }, () => this.engine.attach(id));
        if (!info.State.Running) {
          await this.supervisor.markStartedByUser(id, container.labels, container.name);
          await engineCall({ kind: 'container', ref, action: 'start' }, () => this.engine.startContainer(id)).catch((error: unknown) => {
            output.close();
            throw error;
          });
        }
        return { output, exit: exitAfter(), close: () => { unsubscribe(); output.close(); } };
      }
      unsubscribe();
      const output = await engineCall({ kind: 'container', ref, action: 'read the logs of' }, () => this.engine.logs(id, { follow: false }));
      return { output, exit: Promise.resolve({ code: info.State.ExitCode, oomKilled: info.State.OOMKilled }), close: () => output.close() };
    } catch (error) {
      unsubscribe();
      throw error;
    }
  }

  async exec(ref: string, request: ExecRequest): Promise<RunningOutput> {
    const container = await this.resolve(ref);
    const env = Object.entries(request.env ?? {}).map(([key, value]) => `${key}=${value}`);
    const session = await engineCall({ kind: 'container', ref, action: 'exec in' }, () => this.engine.exec(container.id, request.command, env));
    const output = session.output as AsyncIterable<OutputChunk> & { close(): void };
    let ended: () => void = () => undefined;
    const outputEnded = new Promise<void>((resolve) => (ended = resolve));
    const exit = outputEnded.then(async () => ({ code: await session.exitCode(), oomKilled: false }));
    return {
      output: {
        [Symbol.asyncIterator]: async function* () {
          try {
            yield* output;
          } finally {
            ended();
          }
        },
        close: () => output.close(),
      },
      exit,
      close: () => output.close(),
    };
  }

  async images(): Promise<ImageSummary[]> {
    const images = await engineCall({ kind: 'other', action: 'list images' }, () => this.engine.listImages());
    return images.map((image) => ({
      id: image.Id,
      tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
      size: image.Size,
      createdAt: new Date(image.Created * 1000).toISOString(),
    }));
  }

  async importImage(tarball: NodeJS.ReadableStream, repo: string, tag: string): Promise<ImageSummary> {
    const id = await engineCall({ kind: 'image', ref: `${repo}:${tag}`, action: 'import' }, () => this.engine.importImage(tarball, repo, tag));
    const info = await engineCall({ kind: 'image', ref: `${repo}:${tag}`, action: 'inspect' }, () => this.engine.inspectImage(id));
    return { id, tags: info.RepoTags ?? [], size: info.Size, createdAt: info.Created };
  }

  /** Removes this machine's stopped containers (never another's, never a running one). */
  async prune(): Promise<PruneResponse> {
    const containers = await this.#owned(true);
    const removed: PruneResponse['removed'] = [];
    for (const container of containers.filter((c) => c.State === 'exited' || c.State === 'created' || c.State === 'dead')) {
      await this.supervisor.markStoppedByUser(container.Id);
      const gone = await this.engine.removeContainer(container.Id, { force: false }).then(() => true, () => false);
      if (gone) removed.push({ id: container.Id, name: (container.Names[0] ?? '').replace(/^\//, '') });
    }
    return { removed };
  }
}
