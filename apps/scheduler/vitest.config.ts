import { projectTestConfig } from '../../vitest.shared.ts';

// Integration tests start real kvd clusters and schedulerd processes with TTL-based timing: one file
// at a time keeps a 2-core machine from starving them.
export default projectTestConfig(import.meta.dirname, { fileParallelism: false, testTimeout: 60_000 });
