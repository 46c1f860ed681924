// npm run release -- --version X.Y.Z --key KEYFILE --out FILE
import { runRelease } from './release.js';

process.exitCode = await runRelease(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
