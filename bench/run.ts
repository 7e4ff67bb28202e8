/** `npm run bench -- <name> [args]`: runs the default export of bench/<name>.ts; no name lists them. */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...args] = process.argv.slice(2);
if (!name) {
  console.log(`usage: npm run bench -- <name> [args]\navailable: ${available.join(', ')}`);
  process.exit(0);
}
if (!available.includes(name)) {
  console.error(`no benchmark "${name}"; available: ${available.join(', ')}`);
  process.exit(2);
}
const mod = (await import(`./${name}.ts`)) as { default: (args: string[]) => Promise<void> };
await mod.default(args);
