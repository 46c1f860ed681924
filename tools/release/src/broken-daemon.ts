/**
 * FOR TESTS ONLY. `--test-broken-daemon NAME` builds a release in which one daemon cannot start: its
 * launcher in the release says so and exits 1 (systemd restarts it, and it fails again), so the
 * machine never answers that daemon's /health and updaterd never marks the release good. The rollback
 * tests publish such a release to watch a machine fall back to its previous slot on its own. updaterd
 * is not among the choices: a release whose updaterd cannot start has nothing to roll it back.
 */
export const BREAKABLE_DAEMONS = {
  kvd: 'apps/kv/bin/kvd.js',
  runnerd: 'apps/runner/bin/runnerd.js',
  schedulerd: 'apps/scheduler/bin/schedulerd.js',
  'update-server': 'apps/updater/bin/update-server.js',
} as const;
export type BreakableDaemon = keyof typeof BREAKABLE_DAEMONS;

export function isBreakableDaemon(name: string): name is BreakableDaemon {
  return Object.hasOwn(BREAKABLE_DAEMONS, name);
}

/** The launcher that replaces the daemon's in the release. */
export function brokenLauncher(daemon: BreakableDaemon, version: string): string {
  const message = `${daemon}: release ${version} was built broken on purpose (npm run release -- --test-broken-daemon ${daemon}, for rollback tests only): not starting`;
  return `#!/usr/bin/env node\n// FOR TESTS ONLY: see tools/release/src/broken-daemon.ts.\nprocess.stderr.write(${JSON.stringify(`${message}\n`)});\nprocess.exit(1);\n`;
}
