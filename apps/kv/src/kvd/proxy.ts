import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '@minicore/log';
import { PEER_MEMBERS_PATH, type ClusterInfo } from './bootstrap.js';
import type { Member } from './membership.js';

/** Hop-by-hop headers are not forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

export interface ProxyOptions {
  /** Peer URLs of the members from --initial-cluster: where the proxy learns the members' client URLs. */
  peerURLs: string[];
  readonly: boolean;
  logger: Logger;
  /** How often the member list is refreshed (ms). */
  refreshMs?: number;
}

/**
 * etcd 2's proxy mode, for machines that are not members: every client request is forwarded to a
 * member (streamed both ways, so watches work through it), trying the next member when one does
 * not answer. In readonly mode only GET and HEAD pass; other methods get 501, as etcd's did.
 */
export class KvProxy {
  private endpoints: string[] = [];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ProxyOptions) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs ?? 30_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get members(): readonly string[] {
    return this.endpoints;
  }

  /** Learns the members' client URLs from any peer that answers; keeps the old list if none does. */
  async refresh(): Promise<void> {
    for (const url of this.options.peerURLs) {
      try {
        const response = await fetch(`${url}${PEER_MEMBERS_PATH}`, { signal: AbortSignal.timeout(2000) });
        if (!response.ok) continue;
        const info = (await response.json()) as ClusterInfo;
        const endpoints = info.members.flatMap((member: Member) => member.clientURLs.slice(0, 1));
        if (endpoints.length > 0) {
          if (endpoints.join() !== this.endpoints.join()) this.options.logger.info({ endpoints }, 'proxy: cluster members');
          this.endpoints = endpoints;
          return;
        }
      } catch {
        // try the next peer
      }
    }
    if (this.endpoints.length === 0) this.options.logger.warn({ peers: this.options.peerURLs }, 'proxy: no member answered yet');
  }

  /** Handles one client request (a plain node:http handler). */
  handle(request: IncomingMessage, response: ServerResponse): void {
    if (this.options.readonly && request.method !== 'GET' && request.method !== 'HEAD') {
      this.reply(response, 501, { message: `proxy is read-only: ${request.method} is not forwarded` });
      return;
    }
    const body: Buffer[] = [];
    request.on('data', (chunk: Buffer) => body.push(chunk));
    request.on('end', () => this.forward(request, response, Buffer.concat(body), 0));
  }

  private forward(request: IncomingMessage, response: ServerResponse, body: Buffer, attempt: number): void {
    if (this.endpoints.length === 0 || attempt >= this.endpoints.length) {
      this.reply(response, 503, { message: 'proxy: no cluster member is reachable' });
      return;
    }
    const endpoint = this.endpoints[(this.next + attempt) % this.endpoints.length]!;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(request.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    const upstream = httpRequest(new URL(request.url ?? '/', endpoint), { method: request.method, headers }, (answer) => {
      this.next = (this.next + attempt) % this.endpoints.length;
      const forwarded: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) forwarded[name] = value;
      response.writeHead(answer.statusCode ?? 502, forwarded);
      response.flushHeaders();
      answer.pipe(response);
    });
    // A client that goes away ends the upstream request too (a watch through the proxy costs nothing after).
    response.on('close', () => upstream.destroy());
    upstream.on('error', (error) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      this.options.logger.warn({ endpoint, err: error.message }, 'proxy: member did not answer; trying the next');
      this.forward(request, response, body, attempt + 1);
    });
    upstream.end(body);
  }

  private reply(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }
}
