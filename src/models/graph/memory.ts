/**
 * How much activation memory one run of a graph needs per input pixel: a liveness walk over the
 * nodes in order (a value lives from its node to its last reader), each value weighing its
 * channels times its area relative to the input (¼ after a stride-2 conv, ×r² after a
 * PixelShuffle). A reflection-padded conv also holds its padded input copy while it runs.
 * Engines multiply this by what they keep besides (workspaces, allocator slack).
 */
import { inputsOf } from './analysis.ts';
import type { Graph } from './types.ts';

/** Peak number of float activations alive at once, per input pixel. */
export function activationFloatsPerPixel(g: Graph): number {
  const area = new Map<string, number>([[g.input, 1]]);
  const channels = new Map<string, number>([[g.input, g.inChannels]]);
  const last = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    for (const id of inputsOf(n)) last.set(id, i);
  });
  last.set(g.output, g.nodes.length);
  last.set(g.input, Math.max(last.get(g.input) ?? 0, g.nodes.length)); // the caller holds the input
  const weight = (id: string) => channels.get(id)! * area.get(id)!;
  let peak = weight(g.input);
  const live = new Set<string>([g.input]);
  g.nodes.forEach((n, i) => {
    const a = area.get('a' in n ? n.a : n.x)!;
    let c: number;
    let s = a;
    let extra = 0;
    switch (n.op) {
      case 'conv2d':
        c = n.outC;
        s = a / (n.stride * n.stride);
        if (n.padMode === 'reflect') extra = weight(n.x);
        break;
      case 'convTranspose2d':
        c = n.outC;
        s = a * n.stride * n.stride;
        break;
      case 'pixelShuffle':
        c = channels.get(n.x)! / (n.factor * n.factor);
        s = a * n.factor * n.factor;
        break;
      case 'avgPool':
        c = channels.get(n.x)!;
        s = a / (n.stride * n.stride);
        break;
      case 'globalAvgPool':
        c = channels.get(n.x)!;
        s = 0;
        break;
      case 'linear':
        c = n.outF;
        s = 0;
        break;
      case 'add':
      case 'sub':
      case 'mul':
        c = channels.get(n.a)!;
        s = area.get(n.a)!;
        break;
      default:
        c = channels.get(n.x)!;
    }
    channels.set(n.id, c);
    area.set(n.id, s);
    live.add(n.id);
    let sum = extra;
    for (const id of live) sum += weight(id);
    peak = Math.max(peak, sum);
    for (const id of [...live]) if ((last.get(id) ?? -1) <= i) live.delete(id);
  });
  return peak;
}

/** What ONNX Runtime keeps beyond the live activations (measured: DuRN-P 690 B/px for 644). */
export const ENGINE_SLACK = 1.25;

/** Bytes one run needs per input pixel (float32 activations, with the engine's slack). */
export function bytesPerPixel(g: Graph): number {
  return 4 * ENGINE_SLACK * activationFloatsPerPixel(g);
}
