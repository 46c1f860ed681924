#!/usr/bin/env node
// npm bin entry: runs the built runctl (npm run build, or npm start / npm test, build it first).
import('../dist/runctl/main.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/runctl/main.js')) {
    console.error('runctl is not built yet: run `npm run build` at the repository root first.');
    process.exit(1);
  }
  throw error;
});
