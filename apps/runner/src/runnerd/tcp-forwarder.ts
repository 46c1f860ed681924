import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import type { Logger } from '@minicore/log';

export interface ForwardTarget {
  host: string;
  port: number;
}

/**
 * A plain TCP forwarder: every connection to `listen` is piped to the first target that accepts
 * (the last one that worked is tried first). runnerd uses it to put the machine's kv on the docker
 * bridge address, where containers can reach it, when kvd itself listens on loopback only. TCP
 * rather than HTTP so that long polls (watches) and keep-alive pass through untouched.
 */
export class TcpForwarder {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #preferred = 0;

  private constructor(
    server: Server,
    private readonly targets: readonly ForwardTarget[],
    private readonly logger: Logger,
  ) {
    this.#server = server;
    server.on('connection', (socket) => this.#forward(socket));
  }

  /** Listens on host:port (0: any free port); rejects with the listen error (EADDRINUSE, EADDRNOTAVAIL). */
  static async listen(host: string, port: number, targets: readonly ForwardTarget[], logger: Logger): Promise<TcpForwarder> {
    if (targets.length === 0) throw new Error('a forwarder needs at least one target');
    const server = createServer();
    const forwarder = new TcpForwarder(server, targets, logger);
    server.listen({ host, port, exclusive: true });
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))]);
    return forwarder;
  }

  get address(): ForwardTarget {
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('forwarder is not listening');
    return { host: address.address, port: address.port };
  }

  #forward(client: Socket): void {
    this.#sockets.add(client);
    client.on('close', () => this.#sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    this.#connect(client, 0);
  }

  #connect(client: Socket, tried: number): void {
    if (client.destroyed) return;
    if (tried >= this.targets.length) {
      this.logger.warn({ targets: this.targets }, 'kv forwarder: no kv endpoint accepts connections');
      client.destroy();
      return;
    }
    const index = (this.#preferred + tried) % this.targets.length;
    const target = this.targets[index]!;
    const upstream = createConnection({ host: target.host, port: target.port });
    this.#sockets.add(upstream);
    upstream.on('close', () => this.#sockets.delete(upstream));
    const failed = () => {
      upstream.destroy();
      this.#connect(client, tried + 1);
    };
    upstream.once('error', failed);
    upstream.once('connect', () => {
      upstream.off('error', failed);
      this.#preferred = index;
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}

/** `http://127.0.0.1:2379` → { host: '127.0.0.1', port: 2379 } (a URL without a port takes its scheme's). */
export function targetOf(url: string): ForwardTarget {
  const parsed = new URL(url);
  const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port };
}
