/** Pure analyses of a Graph: shape inference, multiply-add counts, receptive radius. */
import { DurnBugError, DurnUserError } from '../../core/errors.ts';
import type { Graph, GraphNode } from './types.ts';

export interface Shape {
  c: number;
  h: number;
  w: number;
}

/** Ids of the values a node reads. */
export function inputsOf(n: GraphNode): string[] {
  return 'a' in n ? [n.a, n.b] : [n.x];
}

/** Output shape of every node for an input of h×w; throws a user error if the size does not fit. */
export function inferShapes(g: Graph, h: number, w: number): Map<string, Shape> {
  const shapes = new Map<string, Shape>([[g.input, { c: g.inChannels, h, w }]]);
  const get = (id: string) => {
    const s = shapes.get(id);
    if (!s) throw new DurnBugError(`graph value ${id} used before it is defined`);
    return s;
  };
  const tooSmall = (n: GraphNode, detail: string) =>
    new DurnUserError(
      'INVALID_INPUT',
      `Expected a larger input for layer ${n.id} but received ${h}×${w} (${detail})`,
      {
        hint: 'Use a larger image or tile.',
      },
    );
  for (const n of g.nodes) {
    let out: Shape;
    switch (n.op) {
      case 'conv2d': {
        const s = get(n.x);
        const ph = s.h + n.pad.top + n.pad.bottom;
        const pw = s.w + n.pad.left + n.pad.right;
        const span = n.dilation * (n.kernel - 1) + 1;
        if (ph < span || pw < span) throw tooSmall(n, `padded ${ph}×${pw} < kernel span ${span}`);
        if (n.padMode === 'reflect' && Math.max(n.pad.top, n.pad.bottom) >= s.h) {
          throw tooSmall(n, `reflection pad ${n.pad.top} needs a side > ${n.pad.top}, got ${s.h}`);
        }
        if (n.padMode === 'reflect' && Math.max(n.pad.left, n.pad.right) >= s.w) {
          throw tooSmall(n, `reflection pad ${n.pad.left} needs a side > ${n.pad.left}, got ${s.w}`);
        }
        out = {
          c: n.outC,
          h: Math.floor((ph - span) / n.stride) + 1,
          w: Math.floor((pw - span) / n.stride) + 1,
        };
        break;
      }
      case 'convTranspose2d': {
        const s = get(n.x);
        out = {
          c: n.outC,
          h: (s.h - 1) * n.stride - 2 * n.padding + n.kernel,
          w: (s.w - 1) * n.stride - 2 * n.padding + n.kernel,
        };
        break;
      }
      case 'pad': {
        const s = get(n.x);
        out = { c: s.c, h: s.h + n.pads.top + n.pads.bottom, w: s.w + n.pads.left + n.pads.right };
        break;
      }
      case 'avgPool': {
        const s = get(n.x);
        out = {
          c: s.c,
          h: Math.floor((s.h - n.kernel) / n.stride) + 1,
          w: Math.floor((s.w - n.kernel) / n.stride) + 1,
        };
        break;
      }
      case 'pixelShuffle': {
        const s = get(n.x);
        const r = n.factor;
        out = { c: s.c / (r * r), h: s.h * r, w: s.w * r };
        break;
      }
      case 'globalAvgPool':
        out = { c: get(n.x).c, h: 1, w: 1 };
        break;
      case 'linear':
        out = { c: n.outF, h: 1, w: 1 };
        break;
      case 'add':
      case 'sub': {
        const a = get(n.a);
        const b = get(n.b);
        if (a.c !== b.c || a.h !== b.h || a.w !== b.w) {
          throw tooSmall(
            n,
            `operands ${a.c}×${a.h}×${a.w} and ${b.c}×${b.h}×${b.w} differ: the size is not a legal multiple`,
          );
        }
        out = a;
        break;
      }
      case 'mul':
        out = get(n.a);
        break;
      default:
        out = get(n.x);
    }
    if (out.h < 1 || out.w < 1) throw tooSmall(n, 'no pixels left');
    shapes.set(n.id, out);
  }
  return shapes;
}

/** Multiply-adds per output pixel of the convolutions (and transposed convolutions). */
export function macsPerPixel(g: Graph, h = 256, w = 256): number {
  const shapes = inferShapes(g, h, w);
  let macs = 0;
  for (const n of g.nodes) {
    if (n.op === 'conv2d') {
      const s = shapes.get(n.id)!;
      macs += n.outC * n.inC * n.kernel * n.kernel * s.h * s.w;
    } else if (n.op === 'convTranspose2d') {
      const s = shapes.get(n.x)!;
      macs += n.outC * n.inC * n.kernel * n.kernel * s.h * s.w;
    }
  }
  return macs / (h * w);
}

/** Total floating-point operations (2 per multiply-add) of one forward pass at h×w. */
export function forwardFlops(g: Graph, h: number, w: number): number {
  return 2 * macsPerPixel(g, h, w) * h * w;
}

/**
 * Radius, in input pixels, of the window of the input that can influence one output pixel through
 * the convolutions, paddings and poolings (global pooling and norms excluded).
 */
export function receptiveRadius(g: Graph): number {
  // Per value: radius in input pixels, and input pixels per value pixel.
  const r = new Map<string, { radius: number; scale: number }>([[g.input, { radius: 0, scale: 1 }]]);
  for (const n of g.nodes) {
    const ins = inputsOf(n).map((id) => r.get(id)!);
    const a = ins[0]!;
    let out = a;
    switch (n.op) {
      case 'conv2d': {
        const half = (n.dilation * (n.kernel - 1)) / 2;
        out = { radius: a.radius + Math.ceil(half) * a.scale, scale: a.scale * n.stride };
        break;
      }
      case 'convTranspose2d':
        out = {
          radius: a.radius + Math.ceil((n.kernel - 1) / 2 / n.stride) * a.scale,
          scale: a.scale / n.stride,
        };
        break;
      case 'avgPool':
        out = { radius: a.radius + (n.kernel - 1) * a.scale, scale: a.scale * n.stride };
        break;
      case 'pixelShuffle':
        out = { radius: a.radius, scale: a.scale / n.factor };
        break;
      case 'add':
      case 'sub':
        out = { radius: Math.max(a.radius, ins[1]!.radius), scale: a.scale };
        break;
      case 'mul':
        out = a;
        break;
      case 'globalAvgPool':
      case 'linear':
        out = { radius: 0, scale: a.scale };
        break;
      default:
        out = a;
    }
    r.set(n.id, out);
  }
  return Math.ceil(r.get(g.output)!.radius);
}

/** True when some layer pools or normalises over the whole image. */
export function hasGlobalStatistics(g: Graph): boolean {
  return g.nodes.some((n) => n.op === 'globalAvgPool' || n.op === 'instanceNorm');
}

/** Smallest side, a multiple of `multiple`, that every layer of the graph accepts. */
export function minimumSide(g: Graph, multiple: number): number {
  for (let s = multiple; s <= 4096; s += multiple) {
    try {
      inferShapes(g, s, s);
      return s;
    } catch (err) {
      if (!(err instanceof DurnUserError)) throw err;
    }
  }
  throw new DurnBugError('no legal input size up to 4096');
}
