// schedctl: fleetctl's command set against schedulerd.
import { runCli } from '@minicore/cli';
import { createSchedctl } from './program.js';

const streams = { stdout: (text: string) => process.stdout.write(text), stderr: (text: string) => process.stderr.write(text) };
process.exitCode = await runCli(createSchedctl({ streams }), process.argv.slice(2), streams);
