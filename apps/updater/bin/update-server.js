#!/usr/bin/env node
// npm bin entry: runs the built update-server (npm run build, or npm start / npm test, build it first).
import('../dist/update-server/main.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/update-server/main.js')) {
    console.error('update-server is not built yet: run `npm run build` at the repository root first.');
    process.exit(1);
  }
  throw error;
});
