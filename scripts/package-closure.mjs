#!/usr/bin/env node
// Prints the installed packages that the named ones need (themselves, their dependencies and
// optional dependencies, recursively; one name a line): what a bundle of node_modules must hold
// for them (scripts/device-train.sh).
import { existsSync, readFileSync } from 'node:fs';

const seen = new Set();
function visit(name) {
  const manifest = `node_modules/${name}/package.json`;
  if (seen.has(name) || !existsSync(manifest)) return; // an optional one not installed here
  seen.add(name);
  const p = JSON.parse(readFileSync(manifest, 'utf8'));
  for (const dep of Object.keys({ ...p.dependencies, ...p.optionalDependencies })) visit(dep);
}
for (const name of process.argv.slice(2)) visit(name);
console.log([...seen].sort().join('\n'));
