import { existsSync } from 'node:fs';
import path from 'node:path';

/** The workspace root: the first folder above this file that holds nx.json (from src/ and from dist/ alike). */
function findWorkspaceRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'nx.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no nx.json above ${from}`);
  }
}

/**
 * The built kvd. Tests run the real daemon as separate processes: this lib spawns it by path and
 * never imports apps/kv. Nx builds kvd before this lib's own test (its test target depends on
 * @minicore/kv:build; an implicit dependency would be a cycle, as @minicore/kv's tests use this lib)
 * and before the tests of the apps that use it (they depend on @minicore/kv).
 */
export const KVD_MAIN = path.join(findWorkspaceRoot(import.meta.dirname), 'apps/kv/dist/kvd/main.js');

/** Whether kvd has been built (tests that cannot build it themselves skip with a hint instead of failing). */
export const kvdBuilt = existsSync(KVD_MAIN);
