import type { ContainerCreateOptions, ContainerInfo, DockerEngine, OutputChunk } from '@minicore/docker-engine';
import type { Logger } from '@minicore/log';
import { EngineError, EngineNotFoundError, EngineUnreachableError } from '@minicore/docker-engine';
import {
  AmbiguousContainer,
  BadImageRef,
  BadSpec,
  ContainerRunning,
  NoSuchContainer,
  NoSuchImage,
  RegistryFailed,
  ServiceAnnounced,
  type ContainerDetails,
  type ContainerSummary,
  type ExecRequest,
  type ExitReport,
  type ImageSummary,
  type PruneResponse,
  type RunRequest,
  type RunResponse,
  type TransferRequest,
  type TransferResponse,
} from '../api/index.js';
import { SpecError, formatAnnounceLabel, formatImageRef, formatRestartPolicy, formatVolumeBinding, inRegistry, parseAnnounceLabel, parseImageRef, type ImageRef } from '../spec/index.js';
import type { ContainerKv } from './container-kv.js';
import { detail, summarize } from './container-view.js';
import { engineCall, toHttpError } from './engine-errors.js';
import { RunnerLabel, ownedBy } from '@minicore/runner-labels';
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
    private readonly containerKv: ContainerKv,
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
    const announce = request.announce ?? [];
    await this.#checkAnnouncements(announce.map((a) => a.service));
    // kv's address comes first so that an explicit -e KV_ENDPOINT=... wins.
    const env = { ...(await this.containerKv.environment()), ...request.env };
    const health = request.healthcheck;
    const options: ContainerCreateOptions = {
      Image: request.image,
      Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
      Labels: {
        ...request.labels,
        [RunnerLabel.managed]: '1',
        [RunnerLabel.machine]: this.machineId,
        [RunnerLabel.restart]: formatRestartPolicy(restart),
        ...(announce.length > 0 ? { [RunnerLabel.announce]: formatAnnounceLabel(announce) } : {}),
      },
      ...(health
        ? {
            Healthcheck: {
              Test: ['CMD-SHELL', health.command],
              // The engine counts in nanoseconds.
              Interval: health.intervalMs * 1e6,
              Timeout: health.timeoutMs * 1e6,
              Retries: health.retries,
              StartPeriod: health.startPeriodMs * 1e6,
            },
          }
        : {}),
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

  /** One key per service and machine: a second container announcing the same service here would fight over it. */
  async #checkAnnouncements(services: readonly string[]): Promise<void> {
    if (services.length === 0) return;
    if (new Set(services).size !== services.length) throw BadSpec(`--announce names a service twice: ${services.join(', ')}`);
    for (const container of await this.#owned(true)) {
      const taken = parseAnnounceLabel(container.Labels?.[RunnerLabel.announce]).find((spec) => services.includes(spec.service));
      if (taken) throw ServiceAnnounced(taken.service, (container.Names[0] ?? container.Id).replace(/^\//, ''));
    }
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

  /** `docker tag`. */
  async tagImage(source: string, target: string): Promise<ImageSummary> {
    const to = imageRef(target);
    await engineCall({ kind: 'image', ref: source, action: 'tag' }, () => this.engine.tagImage(source, to.repo, to.tag));
    return this.#imageSummary(formatImageRef(to));
  }

  /** `docker rmi`: removes a name (and the image with its last name, unless a container uses it). */
  async removeImage(reference: string, force: boolean): Promise<{ removed: string }> {
    await engineCall({ kind: 'image', ref: reference, action: 'remove' }, () => this.engine.removeImage(reference, force));
    return { removed: reference };
  }

  /**
   * Pushes an image to a registry: REF names the registry (`10.77.0.10:5000/minicore/app:1`), or
   * `registry` does and the local name is plain (`minicore/app:1`), in which case the
   * registry-qualified tag is made for the push and removed after it. Never Docker Hub.
   */
  async push(request: TransferRequest): Promise<TransferResponse> {
    const local = imageRef(request.image);
    const remote = this.#remote(local, request.registry, 'push');
    const localName = formatImageRef(local);
    const remoteName = formatImageRef(remote);
    const image = await engineCall({ kind: 'image', ref: localName, action: 'push' }, () => this.engine.inspectImage(localName));
    if (request.registry) await engineCall({ kind: 'image', ref: localName, action: 'tag' }, () => this.engine.tagImage(localName, remote.repo, remote.tag));
    try {
      const { digest } = await registryCall(`cannot push ${remoteName} to ${remote.registry}`, () => this.engine.pushImage(remote.repo, remote.tag));
      this.logger.info({ image: remoteName, digest }, 'pushed');
      return { reference: remoteName, id: image.Id, ...(digest ? { digest } : {}), tags: (await this.#imageSummary(image.Id)).tags };
    } finally {
      if (request.registry) await this.engine.removeImage(remoteName).catch(() => undefined);
    }
  }

  /** Pulls an image from a registry (with `registry`: REGISTRY/IMAGE, named IMAGE here). Never Docker Hub. */
  async pull(request: TransferRequest): Promise<TransferResponse> {
    const local = imageRef(request.image);
    const remote = this.#remote(local, request.registry, 'pull');
    const remoteName = formatImageRef(remote);
    const id = await registryCall(`cannot pull ${remoteName} from ${remote.registry}`, () => this.engine.pullImage(remote.repo, remote.tag));
    if (request.registry) {
      await engineCall({ kind: 'image', ref: remoteName, action: 'tag' }, () => this.engine.tagImage(id, local.repo, local.tag));
      await this.engine.removeImage(remoteName).catch(() => undefined);
    }
    this.logger.info({ image: remoteName, id }, 'pulled');
    return { reference: remoteName, id, tags: (await this.#imageSummary(id)).tags };
  }

  #remote(local: ImageRef, registry: string | undefined, verb: 'push' | 'pull'): ImageRef {
    if (registry) return guardSpec(() => inRegistry(local, registry));
    if (local.registry === undefined) throw BadImageRef(`cannot ${verb} ${formatImageRef(local)}: name a registry (REGISTRY/NAME:TAG, or --registry HOST:PORT); runnerd never uses Docker Hub`);
    return local;
  }

  async #imageSummary(reference: string): Promise<ImageSummary> {
    const info = await engineCall({ kind: 'image', ref: reference, action: 'inspect' }, () => this.engine.inspectImage(reference));
    return { id: info.Id, tags: info.RepoTags ?? [], size: info.Size, createdAt: info.Created };
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

function guardSpec<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof SpecError) throw BadImageRef(error.message);
    throw error;
  }
}

function imageRef(text: string): ImageRef {
  return guardSpec(() => parseImageRef(text));
}

/** A registry's failure names the image and the registry; a missing local image stays "no such image". */
async function registryCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof EngineNotFoundError && /does not exist locally|No such image/i.test(error.message)) throw NoSuchImage(what.replace(/^cannot \w+ (\S+).*$/, '$1'));
    if (error instanceof EngineUnreachableError) throw toHttpError(error, { kind: 'other', action: what });
    if (error instanceof EngineError) throw RegistryFailed(what, error.message);
    throw error;
  }
}
