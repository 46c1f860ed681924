import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ProcessRegistry } from './processes.js';
import { parseWrkOutput, type WrkResult } from './wrk-output.js';

/**
 * PUTs of form-encoded `value=...` to random keys bench/k<N>. Each wrk thread has its own Lua state,
 * so each seeds its own generator from its thread number.
 */
export const PUT_SCRIPT = `-- written by tools/bench: random-key v2 PUTs
local counter = 0
local keys = 10000
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  keys = tonumber(args[1]) or keys
  local bytes = tonumber(args[2]) or 64
  math.randomseed(os.time() * 1000 + id)
  wrk.method = "PUT"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.body = "value=" .. string.rep("v", bytes)
end

function request()
  return wrk.format(nil, "/v2/keys/bench/k" .. math.random(0, keys - 1))
end
`;

export interface WrkRunOptions {
  url: string;
  connections: number;
  threads: number;
  durationSeconds: number;
  /** A Lua script and its arguments, or none for plain GETs of `url`. */
  script?: { file: string; args: string[] };
}

export function writePutScript(dir: string): string {
  const file = path.join(dir, 'put.lua');
  writeFileSync(file, PUT_SCRIPT);
  return file;
}

export function wrkArgs(options: WrkRunOptions): string[] {
  const args = ['-c', String(options.connections), '-t', String(options.threads), '-d', `${options.durationSeconds}s`, '--latency', '--timeout', '5s'];
  if (options.script) args.push('-s', options.script.file);
  args.push(options.url);
  if (options.script && options.script.args.length > 0) args.push('--', ...options.script.args);
  return args;
}

/** Runs wrk, killing it if it overruns its duration by more than 30 s. */
export async function runWrk(registry: ProcessRegistry, options: WrkRunOptions): Promise<WrkResult & { command: string }> {
  const args = wrkArgs(options);
  const { process, output } = registry.spawnCaptured('wrk', args);
  const timer = setTimeout(() => process.child.kill('SIGKILL'), (options.durationSeconds + 30) * 1000);
  try {
    const [text, exit] = await Promise.all([output, process.exited]);
    if (exit.code !== 0) throw new Error(`wrk exited with ${exit.code ?? exit.signal}:\n${text}`);
    return { ...parseWrkOutput(text), command: `wrk ${args.join(' ')}` };
  } finally {
    clearTimeout(timer);
  }
}
