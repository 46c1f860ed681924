// updatectl: the CLI of update-server, of the machine's updaterd (D-Bus) and of the reboot semaphore (kv).
import { runCli } from '@minicore/cli';
import { createUpdatectl } from './program.js';

process.exitCode = await runCli(createUpdatectl({ stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) }), process.argv.slice(2));
