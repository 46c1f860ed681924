import { readFileSync } from 'node:fs';

/** CPU seconds (user + system) and memory of a process, from /proc (Linux only). */
export interface ProcSample {
  cpuSeconds: number;
  rssBytes: number;
  /** Peak resident set size over the process's life (VmHWM). */
  peakRssBytes: number;
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times: 100 on every mainstream architecture. */
const clockTicks = 100;

/** Fields 14 and 15 of /proc/<pid>/stat, counted after the command name (which may hold spaces). */
export function parseStatCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

export function parseStatusKb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { cpuSeconds: parseStatCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8')), rssBytes: parseStatusKb(status, 'VmRSS'), peakRssBytes: parseStatusKb(status, 'VmHWM') };
  } catch {
    return undefined;
  }
}

/**
 * kv requests answered, from one kvd member's Prometheus text: `kvd_http_requests_total` over the
 * keys API routes (watch polls count when they answer), by HTTP method.
 */
export function parseKeysRequests(metrics: string): Record<string, number> {
  const byMethod: Record<string, number> = {};
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('kvd_http_requests_total{')) continue;
    const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
    const route = /route="([^"]*)"/.exec(labels)?.[1] ?? '';
    if (!route.startsWith('/v2/keys')) continue;
    const method = /method="([^"]*)"/.exec(labels)?.[1] ?? '?';
    byMethod[method] = (byMethod[method] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return byMethod;
}

/**
 * The same from etcd 3.4's Prometheus text, which counts v2 store operations rather than HTTP
 * requests: reads and writes by action, and watch requests.
 */
export function parseEtcdStoreRequests(metrics: string): Record<string, number> {
  const byKind: Record<string, number> = {};
  for (const line of metrics.split('\n')) {
    const match = /^etcd_debugging_store_(reads|writes|watch_requests)_total(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (!match) continue;
    const kind = match[1] === 'reads' ? 'GET' : match[1] === 'writes' ? 'write' : 'watch';
    byKind[kind] = (byKind[kind] ?? 0) + Number(match[2]);
  }
  return byKind;
}

export function addCounts(a: Record<string, number>, b: Record<string, number>, sign = 1): Record<string, number> {
  const sum: Record<string, number> = { ...a };
  for (const [key, value] of Object.entries(b)) sum[key] = (sum[key] ?? 0) + sign * value;
  return sum;
}

export function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}
