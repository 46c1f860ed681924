// The co-running workload of `npm run bench -- updater`: what a machine's containers might do, a
// CPU- and disk-bound loop (sha256 of 1 MiB, then 256 KiB written and fdatasync'ed, round-robin
// over a 32 MiB file). It prints `{"t":<ms since epoch>,"ops":<total>}` every 100 ms until SIGTERM,
// so the benchmark can read its throughput over any window.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: updater-workload.js DIR');
const block = randomBytes(1024 * 1024);
const chunk = block.subarray(0, 256 * 1024);
const fd = openSync(path.join(dir, 'workload.bin'), 'w');
const slots = (32 * 1024 * 1024) / chunk.length;
let ops = 0;
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
const report = () => process.stdout.write(`${JSON.stringify({ t: Date.now(), ops })}\n`);
let lastReport = 0;
// Runs in slices so that the SIGTERM handler and stdout get their turn.
function slice(): void {
  const until = performance.now() + 50;
  while (performance.now() < until) {
    createHash('sha256').update(block).digest();
    writeSync(fd, chunk, 0, chunk.length, (ops % slots) * chunk.length);
    fdatasyncSync(fd);
    ops += 1;
  }
  if (Date.now() - lastReport >= 100) {
    lastReport = Date.now();
    report();
  }
  if (stopping) {
    report();
    closeSync(fd);
    process.exit(0);
  }
  setImmediate(slice);
}
report();
slice();
