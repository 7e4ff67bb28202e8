/**
 * durn must build, import and restore whether or not its optional native packages installed (their
 * install scripts download binaries from outside the npm registry and fail offline; npm then removes
 * them). So no source file may name an optional package in a static import, a type import, a
 * `typeof import()` or a literal dynamic import: each loads through a variable, at run time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  optionalDependencies?: Record<string, string>;
};
const OPTIONAL = Object.keys(pkg.optionalDependencies ?? {});

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|tsx|js|mjs)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** Every way a module can name a package so that the compiler or the loader resolves it eagerly. */
function staticMentions(text: string, name: string): string[] {
  const q = name.replace(/[/.]/g, (c) => `\\${c}`);
  const patterns = [
    new RegExp(`^\\s*import\\s[^;]*?from\\s*['"]${q}(/[^'"]*)?['"]`, 'gm'),
    new RegExp(`^\\s*export\\s[^;]*?from\\s*['"]${q}(/[^'"]*)?['"]`, 'gm'),
    new RegExp(`^\\s*import\\s*['"]${q}(/[^'"]*)?['"]`, 'gm'),
    new RegExp(`import\\(\\s*['"\`]${q}(/[^'"\`]*)?['"\`]\\s*\\)`, 'g'),
    new RegExp(`require\\(\\s*['"\`]${q}['"\`]\\s*\\)`, 'g'),
  ];
  return patterns.flatMap((p) => text.match(p) ?? []);
}

describe('optional packages are never imported statically', () => {
  test('the package declares the optional native engines', () => {
    expect(OPTIONAL).toEqual(expect.arrayContaining(['onnxruntime-node', '@tensorflow/tfjs-node']));
  });

  test('the detector finds each form of static mention (control)', () => {
    const bad = [
      "import * as ort from 'onnxruntime-node';",
      "import type { Tensor } from 'onnxruntime-node';",
      "export type Ort = typeof import('onnxruntime-node');",
      "const m = await import('onnxruntime-node');",
      "import 'onnxruntime-node';",
    ];
    for (const line of bad) expect(staticMentions(line, 'onnxruntime-node'), line).not.toEqual([]);
    expect(
      staticMentions("const NAME = 'onnxruntime-node';\nawait import(NAME);", 'onnxruntime-node'),
    ).toEqual([]);
  });

  test('no file under src/ names an optional package statically', () => {
    const offenders: string[] = [];
    for (const file of sources(join(ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const name of OPTIONAL) {
        for (const m of staticMentions(text, name)) offenders.push(`${relative(ROOT, file)}: ${m.trim()}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
