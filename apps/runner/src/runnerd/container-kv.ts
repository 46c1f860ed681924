import type { DockerEngine } from '@minicore/docker-engine';
import type { Logger } from '@minicore/log';
import { TcpForwarder, targetOf } from './tcp-forwarder.js';

/** The environment variables that tell a container where kv is. */
export const KV_ENV = ['KV_ENDPOINT', 'ETCDCTL_ENDPOINTS'] as const;

export interface ContainerKvOptions {
  /** `HOST:PORT`, HOST `bridge` meaning the engine's bridge gateway; `off` gives containers no kv. */
  listen: string;
  /** The machine's kv client URLs (what runnerd itself uses). */
  kvEndpoints: readonly string[];
  engine: DockerEngine;
  logger: Logger;
}

/** Parses `--container-kv-listen`: `bridge:2379`, `172.17.0.1:2379`, `bridge:0` (tests), or `off`. */
export function parseContainerKvListen(text: string): { host: string; port: number } | 'off' {
  if (text === 'off') return 'off';
  const match = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw new Error(`invalid --container-kv-listen "${text}": expected HOST:PORT (HOST may be "bridge") or off`);
  return { host: match[1]!, port };
}

/**
 * Makes the machine's kv reachable from inside its containers at one address, the way CoreOS
 * containers found etcd on the docker bridge: runnerd listens on the bridge gateway and forwards to
 * the machine's kv client URLs. When something already listens there (kvd serving the bridge
 * address itself) and answers as kv, containers are pointed at it directly.
 *
 * Set up lazily and retried on the next container until it works: runnerd must start (and run
 * containers) even while the engine or the address is not there yet.
 */
export class ContainerKv {
  #endpoint: string | undefined;
  #forwarder: TcpForwarder | undefined;
  #settingUp: Promise<string | undefined> | undefined;
  #closed = false;
  #lastError: string | null = null;

  constructor(private readonly options: ContainerKvOptions) {}

  get endpoint(): string | undefined {
    return this.#endpoint;
  }

  get lastError(): string | null {
    return this.#lastError;
  }

  /** `KV_ENDPOINT` and `ETCDCTL_ENDPOINTS` for a new container; empty when kv cannot be offered (the reason is logged). */
  async environment(): Promise<Record<string, string>> {
    const endpoint = await this.ensure();
    return endpoint ? Object.fromEntries(KV_ENV.map((name) => [name, endpoint])) : {};
  }

  /** The URL containers reach kv at, setting it up if it is not yet. */
  async ensure(): Promise<string | undefined> {
    if (this.#endpoint || this.#closed) return this.#endpoint;
    this.#settingUp ??= this.#setUp().finally(() => (this.#settingUp = undefined));
    return this.#settingUp;
  }

  async #setUp(): Promise<string | undefined> {
    const { logger } = this.options;
    let listen: ReturnType<typeof parseContainerKvListen>;
    try {
      listen = parseContainerKvListen(this.options.listen);
    } catch (error) {
      this.#lastError = (error as Error).message;
      this.#closed = true;
      logger.error({ err: error }, 'containers get no kv endpoint');
      return undefined;
    }
    if (listen === 'off') {
      this.#closed = true;
      return undefined;
    }
    let host = listen.host;
    try {
      if (host === 'bridge') host = await this.options.engine.networkGateway('bridge');
      const forwarder = await TcpForwarder.listen(host, listen.port, this.options.kvEndpoints.map(targetOf), logger);
      if (this.#closed) {
        await forwarder.close();
        return undefined;
      }
      this.#forwarder = forwarder;
      this.#endpoint = `http://${forwarder.address.host}:${forwarder.address.port}`;
      logger.info({ containerKv: this.#endpoint, kvEndpoints: this.options.kvEndpoints }, 'containers reach kv through a forwarder on the bridge');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const direct = `http://${host}:${listen.port}`;
      if (code === 'EADDRINUSE' && listen.port !== 0 && (await answersAsKv(direct))) {
        this.#endpoint = direct;
        logger.info({ containerKv: direct }, 'kv already listens on the bridge address: containers use it directly');
      } else {
        this.#lastError = `cannot offer kv to containers at ${host}:${listen.port}: ${(error as Error).message}`;
        logger.warn({ err: error }, `${this.#lastError}; containers created now get no KV_ENDPOINT (retried with the next one)`);
        return undefined;
      }
    }
    this.#lastError = null;
    return this.#endpoint;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#settingUp?.catch(() => undefined);
    await this.#forwarder?.close();
  }
}

async function answersAsKv(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/version`, { signal: AbortSignal.timeout(1000) });
    const body = (await response.json()) as { etcdserver?: unknown };
    return response.ok && typeof body.etcdserver === 'string';
  } catch {
    return false;
  }
}
