import { projectTestConfig } from '../../vitest.shared.ts';

// Integration tests start real kvd clusters with timing assertions (elections within 3 s): one file
// at a time keeps a 2-core machine from starving them.
export default projectTestConfig(import.meta.dirname, { fileParallelism: false });
