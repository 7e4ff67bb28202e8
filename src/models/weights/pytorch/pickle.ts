/**
 * A safe unpickler: it reads the pickle opcodes a PyTorch state_dict uses (protocols 0 to 4,
 * including the Python 2 string opcodes of old checkpoints) and never executes anything. Every
 * global a pickle names goes through `resolveGlobal`, which returns an inert stand-in from an
 * allowlist or throws; REDUCE/NEWOBJ/BUILD only call stand-ins that implement `PyCallable`.
 * Opcodes that could only matter for code execution (INST/OBJ on unknown classes, EXT*) are
 * refused the same way.
 */
import { DurnUserError } from '../../../core/errors.ts';
import { decodeLong, decodeRawUnicodeEscape, decodeStringRepr, parseIntText } from './pickle-text.ts';

/** A Python tuple (kept distinct from lists, which are JS arrays). */
export class PyTuple {
  readonly items: PyValue[];
  constructor(items: PyValue[]) {
    this.items = items;
  }
}

/** An allowlisted global that may be called by REDUCE/NEWOBJ. */
export interface PyCallable {
  readonly qualifiedName: string;
  call(args: PyValue[]): PyValue;
}

/** Anything an allowlisted global or persistent id produces (tensors, storages, dtypes). */
export interface PyOpaque {
  readonly opaque: true;
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | Map<PyValue, PyValue>
  | PyCallable
  | PyOpaque;

export interface UnpickleHooks {
  /** Returns the stand-in for `module.name`, or throws CHECKPOINT_UNSAFE. */
  resolveGlobal(module: string, name: string): PyValue;
  persistentLoad(pid: PyValue): PyValue;
}

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

export function isCallable(v: unknown): v is PyCallable {
  return typeof v === 'object' && v !== null && typeof (v as PyCallable).call === 'function';
}

/** Reads one pickle starting at `offset`; returns the object and the offset after STOP. */
export function unpickle(
  buf: Uint8Array,
  offset: number,
  hooks: UnpickleHooks,
  source: string,
): { value: PyValue; end: number } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stack: StackItem[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let p = offset;

  const fail = (what: string): DurnUserError =>
    new DurnUserError('CHECKPOINT_INVALID', `${source} is not a valid PyTorch checkpoint: ${what}`, {
      file: source,
    });
  const need = (n: number): number => {
    if (p + n > buf.length) throw fail('the pickle stream is truncated');
    const at = p;
    p += n;
    return at;
  };
  const u8 = () => buf[need(1)]!;
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const i32 = () => view.getInt32(need(4), true);
  const u64 = () => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail('a length is too large');
    return Number(v);
  };
  const bytes = (n: number) => {
    const at = need(n);
    return buf.subarray(at, at + n);
  };
  const line = (): string => {
    const nl = buf.indexOf(0x0a, p);
    if (nl < 0) throw fail('the pickle stream is truncated');
    const s = Buffer.from(buf.buffer, buf.byteOffset + p, nl - p).toString('latin1');
    p = nl + 1;
    return s;
  };
  const utf8 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw fail('the pickle stack underflowed');
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw fail('the pickle stack underflowed');
    return v;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) throw fail('a MARK is missing');
    const items = stack.splice(m + 1) as PyValue[];
    if (stack.pop() !== MARK) throw fail('the MARK is misplaced');
    return items;
  };
  const setItems = (target: PyValue, kv: PyValue[]) => {
    if (!(target instanceof Map)) throw fail('SETITEM on something that is not a dict');
    for (let i = 0; i + 1 < kv.length; i += 2) target.set(kv[i]!, kv[i + 1]!);
  };
  const append = (target: PyValue, items: PyValue[]) => {
    if (!Array.isArray(target)) throw fail('APPEND on something that is not a list');
    for (const it of items) target.push(it);
  };
  const call = (fn: PyValue, args: PyValue): PyValue => {
    if (!isCallable(fn)) throw fail('a pickle calls something that is not callable');
    if (!(args instanceof PyTuple)) throw fail(`the arguments of ${fn.qualifiedName} are not a tuple`);
    return fn.call(args.items);
  };
  const memoGet = (i: number): PyValue => {
    const v = memo.get(i);
    if (v === undefined) throw fail(`memo entry ${i} is missing`);
    return v;
  };
  const global = (text: string): PyValue => {
    const [module, name] = text.split(/\s+|\n/);
    return hooks.resolveGlobal(module ?? '', name ?? '');
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw fail('unsupported pickle protocol');
        break;
      case 0x95: // FRAME: only a hint for buffering
        need(8);
        break;
      case 0x2e: {
        // STOP
        const value = pop();
        return { value, end: p };
      }
      case 0x28: // MARK
        marks.push(stack.length);
        stack.push(MARK);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x49: {
        // INT (text); "01"/"00" are protocol 0's True/False
        const s = line().trim();
        stack.push(s === '01' ? true : s === '00' ? false : parseIntText(s, fail));
        break;
      }
      case 0x4c: // LONG (text)
        stack.push(parseIntText(line().trim().replace(/L$/, ''), fail));
        break;
      case 0x4a:
        stack.push(i32());
        break;
      case 0x4b:
        stack.push(u8());
        break;
      case 0x4d:
        stack.push(u16());
        break;
      case 0x8a:
        stack.push(decodeLong(bytes(u8())));
        break;
      case 0x8b: {
        const n = i32();
        if (n < 0) throw fail('negative LONG4 length');
        stack.push(decodeLong(bytes(n)));
        break;
      }
      case 0x47: // BINFLOAT: big-endian double
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x46: // FLOAT (text)
        stack.push(Number.parseFloat(line()));
        break;
      // Python 2 str: bytes that torch.load decodes as UTF-8 by default.
      case 0x53: // STRING (repr text)
        stack.push(utf8(decodeStringRepr(line(), fail)));
        break;
      case 0x54: {
        const n = i32();
        if (n < 0) throw fail('negative BINSTRING length');
        stack.push(utf8(bytes(n)));
        break;
      }
      case 0x55:
        stack.push(utf8(bytes(u8())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape text)
        stack.push(decodeRawUnicodeEscape(line()));
        break;
      case 0x58:
        stack.push(utf8(bytes(u32())));
        break;
      case 0x8c:
        stack.push(utf8(bytes(u8())));
        break;
      case 0x8d:
        stack.push(utf8(bytes(u64())));
        break;
      case 0x42:
        stack.push(bytes(u32()));
        break;
      case 0x43:
        stack.push(bytes(u8()));
        break;
      case 0x8e:
        stack.push(bytes(u64()));
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const m = new Map<PyValue, PyValue>();
        setItems(m, popMark());
        stack.push(m);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x29:
        stack.push(new PyTuple([]));
        break;
      case 0x74:
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85:
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x70: // PUT (text)
        memo.set(parseIntText(line(), fail) as number, top());
        break;
      case 0x71:
        memo.set(u8(), top());
        break;
      case 0x72:
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67:
        stack.push(memoGet(parseIntText(line(), fail) as number));
        break;
      case 0x68:
        stack.push(memoGet(u8()));
        break;
      case 0x6a:
        stack.push(memoGet(u32()));
        break;
      case 0x63: {
        // GLOBAL: "module\nname\n"
        const module = line();
        stack.push(global(`${module}\n${line()}`));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail('STACK_GLOBAL without names');
        stack.push(global(`${module}\n${name}`));
        break;
      }
      case 0x69: {
        // INST: class named inline, arguments since MARK
        const module = line();
        const cls = global(`${module}\n${line()}`);
        stack.push(call(cls, new PyTuple(popMark())));
        break;
      }
      case 0x6f: {
        // OBJ: class and arguments since MARK
        const [cls, ...args] = popMark();
        stack.push(call(cls ?? null, new PyTuple(args)));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args), for allowlisted classes the same as calling them
        const args = pop();
        stack.push(call(pop(), args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        if (kwargs instanceof Map && kwargs.size > 0) throw fail('NEWOBJ_EX with keyword arguments');
        stack.push(call(pop(), args));
        break;
      }
      case 0x62: {
        // BUILD: sets state on an object. The only objects we build are dicts (OrderedDict carries
        // `_metadata`, which a state_dict does not need) and our own stand-ins, which accept it.
        const state = pop();
        const target = top();
        const builder = target as { build?: (s: PyValue) => void };
        if (target instanceof Map) break;
        if (typeof builder.build === 'function') builder.build(state);
        else throw fail('BUILD on an object that cannot take state');
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      case 0x50: // PERSID (text)
        stack.push(hooks.persistentLoad(line()));
        break;
      case 0x82:
      case 0x83:
      case 0x84:
        throw new DurnUserError(
          'CHECKPOINT_UNSAFE',
          `Refusing to load ${source}: the pickle uses the copyreg extension registry, which a PyTorch state_dict never needs`,
          { file: source },
        );
      default:
        throw fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${p - 1}`);
    }
  }
}
