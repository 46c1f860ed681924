import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, defineConfig } from './define-config.js';
import { boolean, duration, integer, keyValues, oneOf, string, urlList } from './fields.js';

const kvd = defineConfig({
  program: 'kvd',
  summary: 'A test daemon.',
  envPrefix: 'KVD',
  fields: {
    name: string({ description: 'Member name', default: 'default' }),
    dataDir: string({ description: 'Where data lives' }),
    heartbeatInterval: integer({ description: 'Heartbeat', default: 100, min: 1, unit: 'ms' }),
    listenClientUrls: urlList({ description: 'Client URLs', default: ['http://127.0.0.1:2379'] }),
    proxy: oneOf(['off', 'on', 'readonly'] as const, { description: 'Proxy mode', default: 'off' }),
    metadata: keyValues({ description: 'Machine metadata', default: {} }),
    healthyAfter: duration({ description: 'Time to mark successful', default: 45_000 }),
    debug: boolean({ description: 'Debug logs' }),
  },
});

function configOf(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const outcome = kvd.parse(argv, env);
  if (outcome.kind !== 'config') throw new Error('expected a config');
  return outcome;
}

describe('defineConfig', () => {
  it('reads typed values from flags in both --flag value and --flag=value forms', () => {
    const { config, sources } = configOf([
      '--data-dir', '/var/lib/kv', '--heartbeat-interval=50', '--listen-client-urls', 'http://127.0.0.11:2379/,http://127.0.0.11:4001',
      '--proxy', 'on', '--metadata', 'region=eu, disk=ssd', '--healthy-after', '2m', '--debug',
    ]);
    expect(config).toEqual({
      name: 'default',
      dataDir: '/var/lib/kv',
      heartbeatInterval: 50,
      listenClientUrls: ['http://127.0.0.11:2379', 'http://127.0.0.11:4001'],
      proxy: 'on',
      metadata: { region: 'eu', disk: 'ssd' },
      healthyAfter: 120_000,
      debug: true,
    });
    expect(sources.name).toBe('default');
    expect(sources.dataDir).toBe('flag');
  });

  it('takes flags over environment over config file over defaults', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mc-config-'));
    const file = path.join(dir, 'kvd.json');
    writeFileSync(file, JSON.stringify({ 'data-dir': '/from-file', name: 'file-name', heartbeatInterval: 70, metadata: { rack: 3 }, debug: true }));
    const { config, sources } = configOf(['--config-file', file, '--name', 'flag-name'], { KVD_HEARTBEAT_INTERVAL: '80' });
    expect(config).toMatchObject({ name: 'flag-name', heartbeatInterval: 80, dataDir: '/from-file', metadata: { rack: '3' }, debug: true });
    expect(sources).toMatchObject({ name: 'flag', heartbeatInterval: 'env', dataDir: 'file', proxy: 'default' });
  });

  it('names the flag, the bad value and the expected form', () => {
    expect(() => kvd.parse(['--data-dir', 'x', '--heartbeat-interval', 'fast'], {})).toThrow(
      new ConfigError('invalid --heartbeat-interval "fast": expected an integer of at least 1 (ms)'),
    );
    expect(() => kvd.parse(['--data-dir', 'x', '--proxy', 'maybe'], {})).toThrow('expected one of off, on, readonly');
    expect(() => kvd.parse(['--data-dir', 'x', '--listen-client-urls', 'ftp://x:1'], {})).toThrow('expected a comma-separated list of http:// URLs');
    expect(() => kvd.parse(['--data-dir', 'x', '--healthy-after', 'soon'], {})).toThrow('expected a duration');
  });

  it('names the environment variable when the bad value came from there', () => {
    expect(() => kvd.parse(['--data-dir', 'x'], { KVD_HEARTBEAT_INTERVAL: '0' })).toThrow('invalid environment variable KVD_HEARTBEAT_INTERVAL= "0"');
  });

  it('reports missing required fields with both ways to set them', () => {
    expect(() => kvd.parse([], {})).toThrow('missing --data-dir (or KVD_DATA_DIR): Where data lives');
  });

  it('rejects unknown flags with a suggestion, flags without values and positionals', () => {
    expect(() => kvd.parse(['--heartbeat', '5'], {})).toThrow('unknown option --heartbeat; did you mean --heartbeat-interval?');
    expect(() => kvd.parse(['--name'], {})).toThrow('option --name needs a value');
    expect(() => kvd.parse(['stray'], {})).toThrow('unexpected argument "stray"');
  });

  it('rejects config files that are unreadable, not JSON or carry unknown settings', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mc-config-'));
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{ "name": ');
    expect(() => kvd.parse(['--config-file', broken], {})).toThrow(`config file ${broken} is not valid JSON`);
    const unknown = path.join(dir, 'unknown.json');
    writeFileSync(unknown, '{ "nmae": "x" }');
    expect(() => kvd.parse(['--config-file', unknown], {})).toThrow('unknown setting "nmae"');
    expect(() => kvd.parse(['--config-file', path.join(dir, 'absent.json')], {})).toThrow('cannot read config file');
  });

  it('generates --help from the same schema', () => {
    const outcome = kvd.parse(['--help'], {});
    expect(outcome.kind).toBe('help');
    const text = outcome.kind === 'help' ? outcome.text : '';
    expect(text).toContain('Usage: kvd [options]');
    expect(text).toMatch(/--heartbeat-interval <ms>\s+Heartbeat \(default: 100; env KVD_HEARTBEAT_INTERVAL\)/);
    expect(text).toMatch(/--data-dir <text>\s+Where data lives \(required; env KVD_DATA_DIR\)/);
    expect(text).toContain('--config-file <path>');
  });
});
