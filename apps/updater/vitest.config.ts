import { projectTestConfig } from '../../vitest.shared.ts';

// Integration tests start real update-server processes: one file at a time on a 2-core machine.
export default projectTestConfig(import.meta.dirname, { fileParallelism: false });
