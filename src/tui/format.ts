/** Pure text helpers shared by the dashboards and set-up screens. */

/** Display width of a string: code points, with East Asian wide/fullwidth forms counted twice. */
export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += charWidth(ch.codePointAt(0)!);
  return w;
}

function charWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp >= 0x300 && cp <= 0x36f) return 0; // combining marks
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/**
 * Shortens `text` to `max` columns by replacing its middle with "…", so both the start of a path
 * and a file's extension and counter (IMG_1234.jpg) stay visible.
 */
export function truncateMiddle(text: string, max: number): string {
  if (max <= 0) return '';
  if (textWidth(text) <= max) return text;
  if (max === 1) return '…';
  const chars = Array.from(text);
  const budget = max - 1;
  const tailBudget = Math.floor(budget / 2);
  const headBudget = budget - tailBudget;
  let head = '';
  let hw = 0;
  for (const ch of chars) {
    const w = textWidth(ch);
    if (hw + w > headBudget) break;
    head += ch;
    hw += w;
  }
  let tail = '';
  let tw = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const w = textWidth(chars[i]!);
    if (tw + w > tailBudget) break;
    tail = chars[i]! + tail;
    tw += w;
  }
  return `${head}…${tail}`;
}

/** Pads (or middle-truncates) to exactly `width` columns. */
export function fitWidth(text: string, width: number): string {
  const t = truncateMiddle(text, width);
  return t + ' '.repeat(Math.max(0, width - textWidth(t)));
}

/** 0:07, 4:05, 1:02:03. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

/** Seconds for one file: 0.4 s, 12.3 s, 2:05. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  return seconds < 60 ? `${seconds.toFixed(1)} s` : formatDuration(seconds);
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Decimal units, as file managers on macOS and GNOME show sizes. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${UNITS[u]}`;
}

export function formatMegapixels(mp: number): string {
  return `${mp < 10 ? mp.toFixed(1) : Math.round(mp)} MP`;
}

/** A bar of `width` cells; partial progress in eighths so slow tiles still visibly move. */
export function barText(fraction: number, width: number): string {
  const w = Math.max(0, Math.floor(width));
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const eighths = Math.round(f * w * 8);
  const full = Math.floor(eighths / 8);
  const part = eighths % 8;
  const partial = part > 0 && full < w ? ' ▏▎▍▌▋▊▉'[part]! : '';
  return '█'.repeat(full) + partial + '░'.repeat(Math.max(0, w - full - (partial ? 1 : 0)));
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A file as the user thinks of it: relative to the working folder when inside it. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  if (!file.startsWith('/')) return file;
  const base = cwd.endsWith('/') ? cwd : `${cwd}/`;
  return file.startsWith(base) ? file.slice(base.length) : file;
}
