#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`).
import('../dist/cli.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    console.error('durn: the compiled CLI is missing (dist/cli.js). Run `npm run build` in the durn folder.');
    process.exit(2);
  }
  throw err;
});
