import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DurnUserError } from '../../src/core/errors.ts';
import { formatPath, numberBetween, parseWith } from '../../src/core/validation.ts';

const schema = z
  .object({ tile: numberBetween(16, 4096, { integer: true }), mode: z.enum(['a', 'b']).optional() })
  .strict();

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DurnUserError);
    expect((err as DurnUserError).code).toBe('INVALID_OPTION');
    return (err as Error).message;
  }
  throw new Error('expected a throw');
}

describe('parseWith', () => {
  it('returns parsed data', () => {
    expect(parseWith(schema, { tile: 512 }, 'tiling')).toEqual({ tile: 512 });
  });

  it('writes sharp-style messages naming the file and the path inside it', () => {
    expect(
      message(() =>
        parseWith(schema, { tile: 'big' }, 'options', 'presets/night-shot.yaml', ['steps', 1, 'options']),
      ),
    ).toBe(
      'Expected an integer between 16 and 4096 for tile but received "big" (presets/night-shot.yaml, steps[1].options.tile)',
    );
    expect(message(() => parseWith(schema, { tile: 8 }, 'denoise options'))).toBe(
      'Expected an integer between 16 and 4096 for tile but received 8 of type number (denoise options)',
    );
    expect(message(() => parseWith(schema, { tile: 16, mode: 'c' }, 'x', 'f.yaml'))).toBe(
      'Expected one of "a", "b" for mode but received "c" (f.yaml, mode)',
    );
    expect(message(() => parseWith(schema, 3, 'the options'))).toBe(
      'Expected an object for the options but received 3 of type number',
    );
  });

  it('names unknown keys and lists the known ones', () => {
    expect(message(() => parseWith(schema, { tile: 16, tiel: 3 }, 'tiling', 'f.json'))).toBe(
      'Unknown key "tiel" in tiling; known: tile, mode (f.json)',
    );
  });

  it('reports every issue', () => {
    expect(message(() => parseWith(schema, { tile: 'x', mode: 'z' }, 'o')).split('\n')).toHaveLength(2);
  });

  it('formats paths', () => {
    expect(formatPath(['steps', 0, 'options', 'a'])).toBe('steps[0].options.a');
    expect(formatPath([])).toBe('');
  });
});
