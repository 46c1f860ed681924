import { describe, expect, it } from 'vitest';
import type { ContainerInspectInfo } from '@minicore/docker-engine';
import { readyToAnnounce, serviceEndpoint } from './service-endpoint.js';

function info(parts: { ports?: object; ip?: string; running?: boolean; health?: string; check?: string[] }): ContainerInspectInfo {
  return {
    State: { Running: parts.running ?? true, Paused: false, Restarting: false, ...(parts.health ? { Health: { Status: parts.health } } : {}) },
    Config: { ...(parts.check ? { Healthcheck: { Test: parts.check } } : {}) },
    NetworkSettings: { Ports: parts.ports ?? {}, IPAddress: parts.ip ?? '172.17.0.5', Networks: {} },
  } as unknown as ContainerInspectInfo;
}

describe('serviceEndpoint', () => {
  const web = { service: 'web', port: 8080 };

  it('announces the published host port, on the advertised host when bound to every interface', () => {
    expect(serviceEndpoint(info({ ports: { '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '49153' }, { HostIp: '::', HostPort: '49153' }] } }), web, '10.77.0.11')).toEqual({ host: '10.77.0.11', port: 49153 });
    expect(serviceEndpoint(info({ ports: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '40000' }] } }), web, '10.77.0.11')).toEqual({ host: '127.0.0.1', port: 40000 });
  });

  it('falls back to the container address and port when the port is not published', () => {
    expect(serviceEndpoint(info({ ports: { '8080/tcp': null } }), web, '10.77.0.11')).toEqual({ host: '172.17.0.5', port: 8080 });
  });
});

describe('readyToAnnounce', () => {
  it('needs a running container, and a healthy one when it has a check', () => {
    expect(readyToAnnounce(info({}))).toBe(true);
    expect(readyToAnnounce(info({ running: false }))).toBe(false);
    expect(readyToAnnounce(info({ check: ['CMD-SHELL', 'true'], health: 'starting' }))).toBe(false);
    expect(readyToAnnounce(info({ check: ['CMD-SHELL', 'true'], health: 'healthy' }))).toBe(true);
    expect(readyToAnnounce(info({ check: ['NONE'] }))).toBe(true);
  });
});
