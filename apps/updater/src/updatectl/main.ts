// updatectl: the CLI of update-server (and, later, of the machine's updaterd).
import { runCli } from '@minicore/cli';
import { createUpdatectl } from './program.js';

process.exitCode = await runCli(createUpdatectl({ stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) }), process.argv.slice(2));
