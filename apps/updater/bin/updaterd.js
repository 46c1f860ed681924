#!/usr/bin/env node
// npm bin entry: runs the built updaterd (npm run build, or npm start / npm test, build it first).
import('../dist/updaterd/main.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/updaterd/main.js')) {
    console.error('updaterd is not built yet: run `npm run build` at the repository root first.');
    process.exit(1);
  }
  throw error;
});
