// runctl: the CLI of runnerd.
import { runCli } from '@minicore/cli';
import { createRunctl } from './program.js';

const { program, result } = createRunctl({
  streams: { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
  write: { stdout: (data) => process.stdout.write(data), stderr: (data) => process.stderr.write(data) },
  environment: process.env,
  signals: process,
});
const code = await runCli(program, process.argv.slice(2));
process.exitCode = code === 0 && result.exitCode !== undefined ? result.exitCode : code;
