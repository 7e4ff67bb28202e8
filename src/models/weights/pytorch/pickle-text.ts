/** Decoding of the text and integer encodings pickle uses (protocol 0 text opcodes, LONG1/LONG4). */
export function parseIntText(s: string, fail: (w: string) => Error): number | bigint {
  const t = s.trim();
  if (!/^[-+]?\d+$/.test(t)) throw fail(`bad integer ${JSON.stringify(t)}`);
  const big = BigInt(t);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** Little-endian two's complement, as LONG1/LONG4 store it; a number when it fits exactly. */
export function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Decodes Python 2's repr of a str, e.g. `'conv1.weight'` or `"it's"`, with \\x.. escapes. */
export function decodeStringRepr(text: string, fail: (w: string) => Error): Uint8Array {
  const q = text[0];
  if ((q !== "'" && q !== '"') || text[text.length - 1] !== q || text.length < 2) {
    throw fail('STRING opcode without a quoted string');
  }
  const body = text.slice(1, -1);
  const out: number[] = [];
  const simple: Record<string, number> = {
    n: 10,
    r: 13,
    t: 9,
    '\\': 92,
    "'": 39,
    '"': 34,
    a: 7,
    b: 8,
    f: 12,
    v: 11,
  };
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c !== 92) {
      out.push(c & 0xff);
      continue;
    }
    const e = body[++i] ?? '';
    if (e === 'x') {
      out.push(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out.push(Number.parseInt(m, 8) & 0xff);
      i += m.length - 1;
    } else if (e in simple) {
      out.push(simple[e]!);
    } else {
      out.push(92, e.charCodeAt(0));
    }
  }
  return Uint8Array.from(out);
}

/** Python's raw-unicode-escape: latin-1 text with \\uXXXX and \\UXXXXXXXX escapes. */
export function decodeRawUnicodeEscape(text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u4?: string, u8?: string) =>
    String.fromCodePoint(Number.parseInt((u4 ?? u8)!, 16)),
  );
}
