import { Readable } from 'node:stream';
import Docker from 'dockerode';
import type { ContainerCreateOptions, ContainerInfo, ContainerInspectInfo, ImageInfo, ImageInspectInfo } from 'dockerode';
import { OutputDemuxer, type OutputChunk } from './demux.js';
import { ContainerEventParser, type ContainerEvent } from './events.js';
import { toEngineError } from './errors.js';
import { ProgressError, progressFailure, pushedDigest, type ProgressMessage } from './progress.js';

export interface DockerEngineOptions {
  /** The engine's unix socket, e.g. /var/run/docker.sock. */
  socketPath: string;
  /** Engine API version paths are pinned to (Debian 12's docker.io 20.10 speaks 1.41). */
  apiVersion?: string;
}

/** An open stream of container events; `close()` ends it. */
export interface EventSubscription extends AsyncIterable<ContainerEvent> {
  close(): void;
}

/** Output of an exec, and its exit code once the output has ended. */
export interface ExecSession {
  output: AsyncIterable<OutputChunk>;
  exitCode(): Promise<number>;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/**
 * The calls runnerd makes on its machine's engine, typed, with every engine failure turned into a
 * typed EngineError (unreachable, not found, conflict). Everything else about dockerode stays here.
 */
export class DockerEngine {
  readonly socketPath: string;
  readonly #docker: Docker;

  constructor(options: DockerEngineOptions) {
    this.socketPath = options.socketPath;
    this.#docker = new Docker({ socketPath: options.socketPath, version: options.apiVersion ?? 'v1.41' });
  }

  async #call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toEngineError(error, this.socketPath);
    }
  }

  async ping(): Promise<void> {
    await this.#call(() => this.#docker.ping());
  }

  async version(): Promise<{ version: string; apiVersion: string }> {
    const version = await this.#call(() => this.#docker.version());
    return { version: version.Version, apiVersion: version.ApiVersion };
  }

  /** Creates a container and returns its id. */
  async createContainer(options: ContainerCreateOptions): Promise<string> {
    const container = await this.#call(() => this.#docker.createContainer(options));
    return container.id;
  }

  async inspectContainer(id: string): Promise<ContainerInspectInfo> {
    return this.#call(() => this.#docker.getContainer(id).inspect());
  }

  /** Containers carrying every one of `labels` (`key` or `key=value`). */
  async listContainers(labels: readonly string[], all = true): Promise<ContainerInfo[]> {
    return this.#call(() => this.#docker.listContainers({ all, filters: { label: [...labels] } }));
  }

  /** Starts a container; one already running is not an error (the engine answers 304). */
  async startContainer(id: string): Promise<void> {
    try {
      await this.#docker.getContainer(id).start();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 304) return;
      throw toEngineError(error, this.socketPath);
    }
  }

  /** SIGTERM (or the image's stop signal), then SIGKILL after `timeoutSeconds`. A stopped container is not an error. */
  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.#docker.getContainer(id).stop({ t: timeoutSeconds });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 304) return;
      throw toEngineError(error, this.socketPath);
    }
  }

  async killContainer(id: string, signal = 'SIGKILL'): Promise<void> {
    await this.#call(() => this.#docker.getContainer(id).kill({ signal }));
  }

  async removeContainer(id: string, options: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    await this.#call(() => this.#docker.getContainer(id).remove({ force: options.force ?? false, v: options.volumes ?? false }));
  }

  /** Resolves with the exit status once the condition holds (call `next-exit` before start to catch a fast exit). */
  async waitContainer(id: string, condition: WaitCondition = 'not-running'): Promise<{ statusCode: number }> {
    const result = (await this.#call(() => this.#docker.getContainer(id).wait({ condition }))) as { StatusCode: number };
    return { statusCode: result.StatusCode };
  }

  /** Live stdout/stderr of a container, from now until it stops (attach before start to miss nothing). */
  async attach(id: string): Promise<AsyncIterable<OutputChunk> & { close(): void }> {
    const raw = await this.#call(() => this.#docker.getContainer(id).attach({ stream: true, stdout: true, stderr: true }));
    return demuxed(raw);
  }

  /** The container's log (json-file driver keeps it), optionally following new output until it stops. */
  async logs(id: string, options: { follow: boolean; tail?: number; since?: number }): Promise<AsyncIterable<OutputChunk> & { close(): void }> {
    // Without `tail` the engine sends the whole log.
    const common = { stdout: true, stderr: true, ...(options.tail === undefined ? {} : { tail: options.tail }), ...(options.since === undefined ? {} : { since: options.since }) };
    const container = this.#docker.getContainer(id);
    if (options.follow) {
      const raw = await this.#call(() => container.logs({ ...common, follow: true }));
      return demuxed(raw);
    }
    const buffer = await this.#call(() => container.logs({ ...common, follow: false }));
    return demuxed(Readable.from([buffer]));
  }

  /** Runs a command in a running container, without a TTY or stdin. */
  async exec(id: string, command: readonly string[], env: readonly string[] = []): Promise<ExecSession> {
    const exec = await this.#call(() => this.#docker.getContainer(id).exec({ Cmd: [...command], Env: [...env], AttachStdout: true, AttachStderr: true, AttachStdin: false, Tty: false }));
    const raw = await this.#call(() => exec.start({ hijack: true, stdin: false, Detach: false, Tty: false }));
    const output = demuxed(raw);
    return {
      output,
      exitCode: async () => {
        const info = await this.#call(() => exec.inspect());
        return info.ExitCode ?? -1;
      },
    };
  }

  async listImages(): Promise<ImageInfo[]> {
    return this.#call(() => this.#docker.listImages());
  }

  async inspectImage(reference: string): Promise<ImageInspectInfo> {
    return this.#call(() => this.#docker.getImage(reference).inspect());
  }

  async removeImage(reference: string, force = false): Promise<void> {
    await this.#call(() => this.#docker.getImage(reference).remove({ force }));
  }

  /** `docker import`: a rootfs tarball becomes image `repo:tag`; resolves with the image id. */
  async importImage(tarball: NodeJS.ReadableStream, repo: string, tag: string): Promise<string> {
    await this.#followProgress(() => this.#docker.importImage(tarball, { repo, tag }));
    const image = await this.inspectImage(`${repo}:${tag}`);
    return image.Id;
  }

  /** `docker tag`: `source` (name or id) also becomes `repo:tag`. */
  async tagImage(source: string, repo: string, tag: string): Promise<void> {
    await this.#call(() => this.#docker.getImage(source).tag({ repo, tag }));
  }

  /**
   * `docker push` of `repo:tag` to the registry its name starts with; resolves with the digest the
   * registry gave the manifest. No credentials: Minicore's registries are the machines' own.
   */
  async pushImage(repo: string, tag: string): Promise<{ digest: string | undefined }> {
    // The engine insists on an X-Registry-Auth header; an empty one (`{}`) means anonymous.
    const messages = await this.#followProgress(() => this.#docker.getImage(repo).push({ tag, authconfig: {} }));
    return { digest: pushedDigest(messages) };
  }

  /** `docker pull` of `repo:tag`; resolves with the local image id. */
  async pullImage(repo: string, tag: string): Promise<string> {
    await this.#followProgress(() => this.#docker.pull(`${repo}:${tag}`));
    return (await this.inspectImage(`${repo}:${tag}`)).Id;
  }

  /** The gateway address of an engine network (for `bridge`: the host's address on docker0). */
  async networkGateway(network = 'bridge'): Promise<string> {
    const info = (await this.#call(() => this.#docker.getNetwork(network).inspect())) as { IPAM?: { Config?: { Gateway?: string; Subnet?: string }[] } };
    const gateway = info.IPAM?.Config?.find((config) => config.Gateway && !config.Gateway.includes(':'))?.Gateway;
    if (!gateway) throw toEngineError(Object.assign(new Error(`network ${network} has no IPv4 gateway`), { statusCode: 500 }), this.socketPath);
    return gateway;
  }

  /** Runs a call answering with a progress stream to its end; a failure reported in the stream rejects as an EngineError. */
  async #followProgress(start: () => Promise<NodeJS.ReadableStream>): Promise<ProgressMessage[]> {
    const progress = await this.#call(start);
    const messages = await this.#call(
      () =>
        new Promise<ProgressMessage[]>((resolve, reject) => {
          this.#docker.modem.followProgress(progress, (error: Error | null, output: ProgressMessage[]) => (error ? reject(error) : resolve(output ?? [])));
        }),
    );
    const failure = progressFailure(messages);
    if (failure) throw toEngineError(Object.assign(new ProgressError(failure, messages), { statusCode: 500, json: { message: failure } }), this.socketPath);
    return messages;
  }

  /**
   * The engine's event stream for containers carrying every one of `labels`, as parsed events.
   * The stream ends when the engine goes away; the caller reconnects and reconciles.
   */
  async containerEvents(labels: readonly string[]): Promise<EventSubscription> {
    const raw = (await this.#call(() => this.#docker.getEvents({ filters: { type: ['container'], label: [...labels] } }))) as unknown as Readable;
    const parser = new ContainerEventParser();
    raw.on('error', (error) => parser.destroy(toEngineError(error, this.socketPath)));
    raw.on('end', () => parser.end());
    raw.pipe(parser, { end: false });
    return {
      [Symbol.asyncIterator]: () => parser[Symbol.asyncIterator]() as AsyncIterator<ContainerEvent>,
      close: () => {
        raw.destroy();
        parser.end();
      },
    };
  }
}

function demuxed(raw: Readable | NodeJS.ReadableStream): AsyncIterable<OutputChunk> & { close(): void } {
  const stream = raw as Readable;
  const demuxer = new OutputDemuxer();
  stream.on('error', (error) => demuxer.destroy(error));
  stream.pipe(demuxer);
  return {
    [Symbol.asyncIterator]: () => demuxer[Symbol.asyncIterator]() as AsyncIterator<OutputChunk>,
    close: () => {
      stream.destroy();
      demuxer.end();
    },
  };
}
