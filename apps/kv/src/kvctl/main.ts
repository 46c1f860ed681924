import { runKvctl } from './program.js';

process.exit(await runKvctl(process.argv.slice(2)));
