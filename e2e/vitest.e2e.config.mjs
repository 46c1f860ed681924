// The e2e suite's config (plain JS: it belongs to no tsconfig). Named so that @nx/vitest infers no `test`
// target from it: these tests need a booted cluster and run only through `npm run e2e` (tools/scripts/e2e.sh).
import { projectTestConfig } from '../vitest.shared.ts';

export default projectTestConfig(import.meta.dirname, {
  name: 'e2e',
  include: ['test/**/*.e2e.test.ts'],
  // Scenarios power machines off and on: one file at a time, in order.
  fileParallelism: false,
  sequence: { concurrent: false },
  testTimeout: 180_000,
  hookTimeout: 180_000,
});
