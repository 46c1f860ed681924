import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function captureLines(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, lines };
}

describe('createLogger', () => {
  it('writes JSON lines with the name, a level label, an ISO time and base fields', () => {
    const { stream, lines } = captureLines();
    const log = createLogger({ name: 'kvd', base: { member: 'core-1' }, destination: stream });
    log.info({ key: '/a' }, 'set');
    const [line] = lines();
    expect(line).toMatchObject({ name: 'kvd', level: 'info', member: 'core-1', key: '/a', msg: 'set', pid: process.pid });
    expect(new Date(String(line?.['time'])).toISOString()).toBe(line?.['time']);
  });

  it('drops lines below the configured level', () => {
    const { stream, lines } = captureLines();
    const log = createLogger({ name: 'kvd', level: 'warn', destination: stream });
    log.info('hidden');
    log.warn('shown');
    expect(lines().map((line) => line['msg'])).toEqual(['shown']);
  });
});
