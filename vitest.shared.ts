import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const workspaceRoot = path.dirname(fileURLToPath(import.meta.url));

/**
 * The vitest settings every project shares. Each project writes a JSON report to
 * tmp/test-results/<project>.json so that tools/ci/summary.mjs can print one
 * "N passed, N failed" line for the whole run.
 */
export function projectTestConfig(projectDir: string, test: NonNullable<ViteUserConfig['test']> = {}): ViteUserConfig {
  const name = path.relative(workspaceRoot, projectDir).replaceAll(path.sep, '-');
  return defineConfig({
    resolve: { conditions: ['development'] },
    ssr: { resolve: { conditions: ['development'] } },
    test: {
      name,
      root: projectDir,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      reporters: ['default', 'json'],
      outputFile: { json: path.join(workspaceRoot, 'tmp', 'test-results', `${name}.json`) },
      testTimeout: 20_000,
      hookTimeout: 60_000,
      ...test,
    },
  });
}
