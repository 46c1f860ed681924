import { describe, expect, it } from 'vitest';
import { OperationError, UsageError } from './errors.js';
import { formatTable } from './output.js';
import { createCli, globals, runCli, type Streams } from './program.js';

function captured(): Streams & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: (text) => (out += text), stderr: (text) => (err += text), out: () => out, err: () => err };
}

function demoCli(streams: Streams) {
  const program = createCli(
    {
      name: 'democtl',
      description: 'A CLI for tests',
      version: '1.2.3',
      endpoint: { flag: 'endpoints', env: 'DEMOCTL_ENDPOINTS', default: 'http://127.0.0.1:2379', description: 'servers' },
      outputs: ['table', 'json'],
    },
    streams,
  );
  program
    .command('get <key>')
    .description('read a key')
    .action((key: string, _options: unknown, command: import('commander').Command) => {
      const { endpoints, output } = globals(command);
      if (key === 'missing') throw new OperationError('Key not found (/missing) [12]', { errorCode: 100 });
      if (key === 'bad') throw new UsageError('a key must start with /');
      streams.stdout(output === 'json' ? JSON.stringify({ key, endpoints }) + '\n' : `${key} from ${endpoints.join(' ')}\n`);
    });
  return program;
}

describe('createCli and runCli', () => {
  it('runs a command with the default endpoint and exits 0', async () => {
    const io = captured();
    expect(await runCli(demoCli(io), ['get', '/a'], io)).toBe(0);
    expect(io.out()).toBe('/a from http://127.0.0.1:2379\n');
  });

  it('takes endpoints from the flag, trims slashes, and prints JSON when asked', async () => {
    const io = captured();
    expect(await runCli(demoCli(io), ['--endpoints', 'http://127.0.0.11:2379/,http://127.0.0.12:2379', '-o', 'json', 'get', '/a'], io)).toBe(0);
    expect(JSON.parse(io.out())).toEqual({ key: '/a', endpoints: ['http://127.0.0.11:2379', 'http://127.0.0.12:2379'] });
  });

  it('exits 1 with the message when the operation fails, and as JSON with --output json', async () => {
    const io = captured();
    expect(await runCli(demoCli(io), ['get', 'missing'], io)).toBe(1);
    expect(io.err()).toBe('democtl: Key not found (/missing) [12]\n');
    const json = captured();
    expect(await runCli(demoCli(json), ['--output', 'json', 'get', 'missing'], json)).toBe(1);
    expect(JSON.parse(json.err())).toEqual({ error: { message: 'Key not found (/missing) [12]', details: { errorCode: 100 } } });
  });

  it('exits 2 on usage errors: unknown command, unknown option, bad value, missing argument', async () => {
    for (const argv of [['frobnicate'], ['get', '/a', '--nope'], ['--output', 'xml', 'get', '/a'], ['get'], ['get', 'bad'], ['--endpoints', 'not a url', 'get', '/a']]) {
      const io = captured();
      expect(await runCli(demoCli(io), argv, io), argv.join(' ')).toBe(2);
      expect(io.err(), argv.join(' ')).not.toBe('');
    }
  });

  it('prints help and version and exits 0', async () => {
    const io = captured();
    expect(await runCli(demoCli(io), ['--help'], io)).toBe(0);
    expect(io.out()).toContain('Usage: democtl');
    expect(io.out()).toContain('--endpoints <urls>');
    const version = captured();
    expect(await runCli(demoCli(version), ['--version'], version)).toBe(0);
    expect(version.out()).toBe('1.2.3\n');
  });
});

describe('formatTable', () => {
  it('aligns columns under their headers and shows absent cells as -', () => {
    expect(formatTable(['UNIT', 'MACHINE', 'ACTIVE'], [['web.service', 'a1b2c3/10.77.0.11', 'active'], ['db.service', undefined, 'inactive']])).toBe(
      'UNIT         MACHINE            ACTIVE\nweb.service  a1b2c3/10.77.0.11  active\ndb.service   -                  inactive\n',
    );
  });
});
