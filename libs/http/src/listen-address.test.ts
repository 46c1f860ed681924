import { describe, expect, it } from 'vitest';
import { InvalidListenAddressError, formatListenAddress, parseListenAddress } from './listen-address.js';

describe('parseListenAddress', () => {
  it.each([
    ['127.0.0.1:2379', { kind: 'tcp', host: '127.0.0.1', port: 2379 }],
    ['http://127.0.0.11:4001/', { kind: 'tcp', host: '127.0.0.11', port: 4001 }],
    ['[::1]:80', { kind: 'tcp', host: '::1', port: 80 }],
    [':4002', { kind: 'tcp', host: '127.0.0.1', port: 4002 }],
    ['/run/fleet.sock', { kind: 'unix', path: '/run/fleet.sock' }],
    ['unix:///run/fleet.sock', { kind: 'unix', path: '/run/fleet.sock' }],
  ])('reads %s', (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });

  it.each(['localhost', '127.0.0.1:99999', 'http://x:y', ''])('rejects %j with a message naming the forms', (text) => {
    expect(() => parseListenAddress(text)).toThrow(InvalidListenAddressError);
    expect(() => parseListenAddress(text)).toThrow(/HOST:PORT|out of range/);
  });

  it('formats addresses back as URLs', () => {
    expect(formatListenAddress({ kind: 'tcp', host: '::1', port: 80 })).toBe('http://[::1]:80');
    expect(formatListenAddress({ kind: 'unix', path: '/x.sock' })).toBe('unix:///x.sock');
  });
});
