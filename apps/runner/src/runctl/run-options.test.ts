import { UsageError } from '@minicore/cli';
import { describe, expect, it } from 'vitest';
import { toRunRequest, type RunFlags } from './run-options.js';

const flags = (more: Partial<RunFlags> = {}): RunFlags => ({ env: [], publish: [], volume: [], label: [], restart: 'no', ...more });

describe('toRunRequest', () => {
  it('builds the API request from docker-style flags', () => {
    const request = toRunRequest('minicore/busybox', ['sh', '-c', 'true'], flags({ name: 'web', env: ['A=1', 'HOME'], publish: ['127.0.0.1:8080:80'], memory: '64m', cpus: '0.5', restart: 'on-failure:3', label: ['tier=web'] }), { HOME: '/root' });
    expect(request).toEqual({
      image: 'minicore/busybox',
      name: 'web',
      command: ['sh', '-c', 'true'],
      env: { A: '1', HOME: '/root' },
      labels: { tier: 'web' },
      ports: [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
      volumes: [],
      memoryBytes: 64 * 1024 * 1024,
      nanoCpus: 500_000_000,
      restart: { name: 'on-failure', maxRetries: 3 },
      autoRemove: false,
    });
  });

  it('turns bad values into usage errors that quote them', () => {
    expect(() => toRunRequest('i', [], flags({ memory: '12q' }), {})).toThrow(UsageError);
    expect(() => toRunRequest('i', [], flags({ publish: ['80:abc'] }), {})).toThrow('invalid port spec "80:abc"');
    expect(() => toRunRequest('i', [], flags({ rm: true, restart: 'always' }), {})).toThrow('--rm cannot be combined with --restart always');
    expect(() => toRunRequest('i', [], flags({ name: '-bad' }), {})).toThrow('invalid container name "-bad"');
    expect(() => toRunRequest('i', [], flags({ announce: ['web'] }), {})).toThrow('invalid --announce "web": expected NAME:PORT');
    expect(() => toRunRequest('i', [], flags({ healthInterval: '1s' }), {})).toThrow('need --health-cmd');
  });

  it('carries announcements and a health check', () => {
    const request = toRunRequest('i', [], flags({ announce: ['web:8080', 'admin:9090'], healthCmd: 'wget -q -O /dev/null localhost:8080', healthInterval: '500ms', healthRetries: '2' }), {});
    expect(request.announce).toEqual([{ service: 'web', port: 8080 }, { service: 'admin', port: 9090 }]);
    expect(request.healthcheck).toEqual({ command: 'wget -q -O /dev/null localhost:8080', intervalMs: 500, timeoutMs: 30_000, retries: 2, startPeriodMs: 0 });
  });
});
