import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProcessRegistry } from './processes.js';

/** A benchmark run's scratch: the processes it starts and a work folder, both gone when it ends. */
export interface BenchRun {
  readonly registry: ProcessRegistry;
  readonly workDir: string;
  readonly startedAt: Date;
  /** `startedAt` as a file-name-safe stamp (`2026-11-26T12-16-21Z`) for reports and profiles. */
  readonly stamp: string;
  /** Stops every process and deletes the work folder now (again on exit: it is idempotent). */
  readonly end: () => void;
}

/** The stamp reports and profiles are named by: an ISO time without colons or milliseconds. */
export function fileStamp(date: Date): string {
  return date.toISOString().replaceAll(':', '-').replace(/\.\d+Z$/, 'Z');
}

/**
 * Starts a run whose processes are killed and work folder deleted on exit, and on Ctrl-C or
 * SIGTERM/SIGHUP (then exit 130), so an interrupted benchmark leaves no daemon listening behind.
 * `cleanUp` adds what only this benchmark knows to stop.
 */
export function startBenchRun(progress: (line: string) => void, cleanUp: (workDir: string) => void = () => undefined): BenchRun {
  const registry = new ProcessRegistry();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minicore-bench-'));
  const stopEverything = () => {
    registry.killAllNow();
    cleanUp(workDir);
    rmSync(workDir, { recursive: true, force: true });
  };
  process.on('exit', stopEverything);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      progress(`${signal}: stopping every process and deleting ${workDir}`);
      stopEverything();
      process.exit(130);
    });
  }
  const startedAt = new Date();
  return { registry, workDir, startedAt, stamp: fileStamp(startedAt), end: stopEverything };
}
