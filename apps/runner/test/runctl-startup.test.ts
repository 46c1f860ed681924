import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const dist = path.resolve(import.meta.dirname, '../dist/runctl');

describe('runctl start-up', () => {
  // Every `runctl run` pays for what runctl loads before its one request (systemd units start
  // containers through it): runnerd's server stack (fastify, pino, typebox, dockerode) must stay out.
  it("loads none of runnerd's server stack", async () => {
    const script = [
      "import { createRequire } from 'node:module';",
      `await import(${JSON.stringify(pathToFileURL(path.join(dist, 'program.js')).href)});`,
      `await import(${JSON.stringify(pathToFileURL(path.join(dist, 'client.js')).href)});`,
      'console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));',
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 });
    const loaded = JSON.parse(stdout) as string[];
    expect(loaded.some((file) => file.includes('/commander/'))).toBe(true);
    expect(loaded.filter((file) => /node_modules\/(fastify|@fastify|pino|@sinclair|dockerode|docker-modem)\//.test(file))).toEqual([]);
  });
});
