import { describe, expect, it } from 'vitest';
import { addCounts, parseEtcdStoreRequests, parseKeysRequests, parseStatCpuSeconds, parseStatusKb, total } from './scheduler-stats.js';

describe('scheduler benchmark figures', () => {
  it('reads CPU time from /proc/<pid>/stat even when the command name holds spaces and parentheses', () => {
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 11 0 123 456 789';
    expect(parseStatCpuSeconds(stat)).toBe(3);
  });

  it('reads sizes from /proc/<pid>/status', () => {
    expect(parseStatusKb('VmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n', 'VmRSS')).toBe(102400 * 1024);
    expect(parseStatusKb('VmHWM:\t  204800 kB\n', 'VmRSS')).toBe(0);
  });

  it('counts keys API requests by method and ignores other routes', () => {
    const metrics = [
      '# HELP kvd_http_requests_total HTTP requests answered',
      'kvd_http_requests_total{method="PUT",route="/v2/keys/*",status="201"} 7',
      'kvd_http_requests_total{method="PUT",route="/v2/keys/*",status="412"} 3',
      'kvd_http_requests_total{method="GET",route="/v2/keys/*",status="200"} 5',
      'kvd_http_requests_total{method="GET",route="/metrics",status="200"} 9',
    ].join('\n');
    const counts = parseKeysRequests(metrics);
    expect(counts).toEqual({ PUT: 10, GET: 5 });
    expect(total(addCounts(counts, { GET: 2 }, -1))).toBe(13);
  });
});

describe("etcd's store counters", () => {
  it('adds reads, writes and watch requests from etcd 3.4 /metrics', () => {
    const metrics = [
      'etcd_debugging_store_reads_total{action="get"} 12',
      'etcd_debugging_store_reads_total{action="getRecursive"} 3',
      'etcd_debugging_store_writes_total{action="create"} 5',
      'etcd_debugging_store_writes_total{action="set"} 7',
      'etcd_debugging_store_watch_requests_total 4',
      'etcd_debugging_store_watchers 2',
    ].join('\n');
    expect(parseEtcdStoreRequests(metrics)).toEqual({ GET: 15, write: 12, watch: 4 });
  });
});
