import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@minicore/kvd-testing';

/** Debian's etcd-server (3.4): the reference kvd is measured against. */
export const ETCD_BINARY = process.env['ETCD_BINARY'] ?? '/usr/bin/etcd';

export const etcdAvailable = existsSync(ETCD_BINARY);

export interface ReferenceEtcd {
  endpoint: string;
  peerUrl: string;
  /** What etcd printed, for failure messages. */
  readonly output: string;
  stop(): Promise<void>;
}

/**
 * A real single-member etcd with the v2 API on, on loopback ports of its own and a throw-away data
 * dir; resolves once /health answers 200 (etcd only says so after it elected itself and published).
 */
export async function startReferenceEtcd(timeoutMs = 20_000): Promise<ReferenceEtcd> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'etcd-ref-'));
  const [clientPort, peerPort] = await Promise.all([freePort(), freePort()]);
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  // prettier-ignore
  const child = spawn(ETCD_BINARY, [
    '--enable-v2',
    '--name', 'ref',
    '--data-dir', dataDir,
    '--listen-client-urls', endpoint,
    '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peerUrl,
    '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `ref=${peerUrl}`,
    '--initial-cluster-token', `ref-${path.basename(dataDir)}`,
    '--log-level', 'warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ETCDCTL_API: '3' } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`etcd exited before it was healthy:\n${output.slice(-4000)}`);
    }
    try {
      const response = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      const body = await response.text();
      if (response.ok && body.includes('"true"')) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd not healthy after ${timeoutMs} ms:\n${output.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    endpoint,
    peerUrl,
    get output() {
      return output;
    },
    stop,
  };
}

/** One HTTP exchange, as raw as Node gives it: the path is sent exactly as written (no `..` or `//` folding). */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

export interface RawRequest {
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
}

export function rawRequest(endpoint: string, method: string, path: string, options: RawRequest = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve, reject) => {
    let answered = false;
    // An explicit Content-Length: Node sends a DELETE's or GET's body without one (nor chunking), which no server can frame.
    const headers = { ...options.headers, ...(options.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(options.body)) }) };
    const req = httpRequest({ host: hostname, port, method, path, headers, agent: false, timeout: options.timeoutMs ?? 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      // A server that answers before reading a whole (too large) body closes the connection: the answer still counts.
      res.on('error', () => res.emit('end'));
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.on('response', () => (answered = true));
    req.end(options.body);
  });
}

/** A form body as a v2 client sends it. */
export function form(params: Record<string, string>): RawRequest {
  return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() };
}

/** `/v2/keys` + the key with each segment percent-encoded + the query, as the transcript recorder built its URLs. */
export function keysPath(key: string, params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params).toString();
  return `/v2/keys${key.split('/').map(encodeURIComponent).join('/')}${query ? `?${query}` : ''}`;
}

const IN_ORDER_KEY = /(^|\/)(\d{20})(?=\/|$)/g;

/**
 * Makes two servers' answers comparable: store indexes become relative to where each server's
 * store started (etcd's v2 store starts after its own membership entries), in-order keys too;
 * expiration times and TTLs (clock-dependent) become markers; listings of an unsorted get are
 * put in key order (etcd lists from a Go map: random order).
 */
export function normalizeBody(value: unknown, start: number, options: { sortNodes?: boolean } = {}): unknown {
  const shift = (n: number) => (n === 0 ? 0 : n - start);
  const walk = (v: unknown, field?: string): unknown => {
    if (Array.isArray(v)) {
      const items = v.map((item) => walk(item));
      if (field === 'nodes' && options.sortNodes !== false) items.sort((a, b) => String((a as { key?: string }).key).localeCompare(String((b as { key?: string }).key)));
      return items;
    }
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = walk(item, k);
      return out;
    }
    if (typeof v === 'number' && (field === 'createdIndex' || field === 'modifiedIndex' || field === 'index')) return shift(v);
    if (typeof v === 'number' && field === 'ttl') return '<ttl>';
    if (typeof v === 'string' && field === 'expiration') return '<expiration>';
    if (typeof v === 'string' && field === 'key') return v.replace(IN_ORDER_KEY, (_m, slash: string, digits: string) => `${slash}<seq ${shift(Number(digits))}>`);
    if (typeof v === 'string' && field === 'cause') {
      return v
        .replace(/\[(\d+)\/(\d+)\]/, (_m, a: string, b: string) => `[${shift(Number(a))}/${shift(Number(b))}]`)
        .replace(/\[(\d+) != (\d+)\]$/, (_m, a: string, b: string) => `[${a} != ${shift(Number(b))}]`);
    }
    return v;
  };
  return walk(value);
}

/** The etcd headers a response carries (presence only: cluster ids, raft terms and indexes differ by nature). */
export function etcdHeaderNames(headers: RawResponse['headers']): string[] {
  return ['x-etcd-cluster-id', 'x-etcd-index', 'x-raft-index', 'x-raft-term'].filter((name) => headers[name] !== undefined);
}
