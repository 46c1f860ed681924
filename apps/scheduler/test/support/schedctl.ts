import { runCli } from '@minicore/cli';
import { createSchedctl } from '../../src/schedctl/program.js';

/** Runs schedctl in-process against `endpoint`; returns its exit code and output. */
export async function schedctl(endpoint: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const streams = { stdout: (text: string) => void (stdout += text), stderr: (text: string) => void (stderr += text) };
  const code = await runCli(createSchedctl({ streams, pollMs: 100 }), ['--endpoint', endpoint, ...args], streams);
  return { code, stdout, stderr };
}
