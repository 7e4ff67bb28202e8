import { describe, expect, it } from 'vitest';
import { PyTuple, type PyValue, unpickle } from '../../../../src/models/weights/pytorch/pickle.ts';
import { resolveTorchGlobal } from '../../../../src/models/weights/pytorch/torch-globals.ts';

const hooks = {
  resolveGlobal: (m: string, n: string) => resolveTorchGlobal(m, n, 'test.pkl'),
  persistentLoad: (pid: PyValue) => pid,
};
const load = (bytes: string | Buffer) =>
  unpickle(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, 0, hooks, 'test.pkl').value;

describe('unpickle', () => {
  it('reads the Python 2 string opcodes old checkpoints use', () => {
    expect(load("S'conv1.weight'\np0\n.")).toBe('conv1.weight'); // STRING (protocol 0)
    expect(load(`S"it's \\x41\\n"\n.`)).toBe("it's A\n");
    expect(load('T\x03\x00\x00\x00abc.')).toBe('abc'); // BINSTRING
    expect(load('U\x02hi.')).toBe('hi'); // SHORT_BINSTRING
    expect(load('Vcaf\\u00e9\n.')).toBe('café'); // UNICODE (raw-unicode-escape)
  });

  it('reads protocol 0 to 4 numbers, including big and negative longs', () => {
    expect(load('I42\n.')).toBe(42);
    expect(load('I01\n.')).toBe(true);
    expect(load('L12345678901234567890L\n.')).toBe(12345678901234567890n);
    expect(load('\x80\x02\x8a\x01\xff.')).toBe(-1); // LONG1
    expect(load('\x80\x02\x8a\x02\x00\x80.')).toBe(-32768);
    expect(load('\x80\x02J\xfe\xff\xff\xff.')).toBe(-2); // BININT
    expect(load('\x80\x02M\xe9\x03.')).toBe(1001); // BININT2
    expect(
      load(
        Buffer.concat([
          Buffer.from([0x80, 2, 0x47]),
          Buffer.from('3ff8000000000000', 'hex'),
          Buffer.from('.'),
        ]),
      ),
    ).toBe(1.5);
    expect(load('F0.25\n.')).toBe(0.25);
  });

  it('builds dicts, lists, tuples and memo references', () => {
    const v = load(
      '\x80\x02}q\x00(X\x01\x00\x00\x00a]q\x01(K\x01K\x02eX\x01\x00\x00\x00bK\x01K\x02\x86q\x02X\x01\x00\x00\x00ch\x02u.',
    );
    expect(v).toBeInstanceOf(Map);
    const m = v as Map<PyValue, PyValue>;
    expect(m.get('a')).toEqual([1, 2]);
    expect(m.get('b')).toEqual(new PyTuple([1, 2]));
    expect(m.get('c')).toBe(m.get('b')); // BINGET returns the same object
    // OrderedDict() then SETITEM, then BUILD with the `_metadata` attribute torch attaches.
    const od = load(
      '\x80\x02ccollections\nOrderedDict\n)RX\x01\x00\x00\x00kK\x07s}X\t\x00\x00\x00_metadata}sb.',
    );
    expect(od).toEqual(new Map([['k', 7]]));
  });

  it('reads Python 2 OrderedDict([[k, v], ...])', () => {
    const v = load('\x80\x02ccollections\nOrderedDict\n]](U\x01aK\x01ea](U\x01bK\x02ea\x85R.');
    expect(v).toEqual(
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    );
  });

  it('refuses globals outside the allowlist, however they are reached', () => {
    expect(() => load('cos\nsystem\n.')).toThrow(/references os\.system/);
    expect(() => load('(ios\nsystem\nS"ls"\n.')).toThrow(/references os\.system/); // INST
    expect(() => load('\x80\x02\x82\x01.')).toThrow(/extension registry/); // EXT1
    expect(() => load('\x80\x02ctorch\nload\n.')).toThrow(/references torch\.load/);
  });

  it('refuses truncated and malformed streams as CHECKPOINT_INVALID', () => {
    for (const bad of [
      '\x80\x02X\x05\x00\x00\x00ab',
      '\x80\x02',
      '\x80\x02h\x05.',
      '\x80\x02u.',
      '\x80\x02\xff.',
      '\x80\x02K\x01K\x02s.',
    ]) {
      expect(() => load(bad), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'CHECKPOINT_INVALID' }),
      );
    }
  });
});
