import { describe, expect, it } from 'vitest';
import { formatPortBinding, parsePortSpec } from './ports.js';

describe('parsePortSpec', () => {
  it.each([
    ['80', { hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp' }],
    ['8080:80', { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    ['8080:80/tcp', { hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    ['53:53/udp', { hostIp: '', hostPort: 53, containerPort: 53, protocol: 'udp' }],
    ['127.0.0.1:8080:80', { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    ['127.0.0.1::80', { hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' }],
    ['[::1]:8080:80', { hostIp: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
  ])('reads %s', (spec, binding) => {
    expect(parsePortSpec(spec)).toEqual(binding);
  });

  it.each([
    ['', /invalid port spec ""/],
    ['abc', /container port "abc" is not a port/],
    ['8080:70000', /container port "70000" is not a port/],
    ['0:80', /host port "0" is not a port/],
    ['8080:80/icmp', /unknown protocol "icmp"/],
    ['8080:80/tcp/udp', /invalid port spec/],
    ['a:b:c:d', /invalid port spec/],
    ['host:8080:80', /"host" is not an IP address/],
    ['8000-8010:80', /host port "8000-8010" is not a port/],
  ])('rejects %j', (spec, message) => {
    expect(() => parsePortSpec(spec)).toThrow(message);
  });

  it('formats bindings back', () => {
    expect(formatPortBinding(parsePortSpec('127.0.0.1:8080:80'))).toBe('127.0.0.1:8080:80/tcp');
    expect(formatPortBinding(parsePortSpec('80/udp'))).toBe('80/udp');
    expect(formatPortBinding(parsePortSpec('8080:80'))).toBe('8080:80/tcp');
  });
});
