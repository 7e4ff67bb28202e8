/**
 * Image statistics a network computes over the whole image: each instance norm's per-channel mean
 * and variance, each global average pool's per-channel mean. A tile sees only part of the image,
 * so a network with such layers normalises every tile differently (seams, brightness blocks).
 *
 * Engines therefore offer two extra ways to run a graph:
 * - **collect**: run it on an image (the whole photo, or a downscaled copy) and return these
 *   statistics, one entry per statistic node;
 * - **frozen**: run it with statistics supplied from outside instead of computed from the input.
 *   With every statistic frozen, the network is local: a tile whose overlap covers the receptive
 *   radius computes its core exactly as the whole image would.
 */
import { DurnBugError } from '../../core/errors.ts';
import type { GlobalAvgPoolNode, Graph, InstanceNormNode } from './types.ts';

export type StatisticNode = InstanceNormNode | GlobalAvgPoolNode;

/** One node's statistics, per channel of its input. */
export interface NodeStatistics {
  readonly mean: Float32Array;
  /** Biased variance (instance norm only). */
  readonly variance?: Float32Array;
}

/** Statistics of every statistic node of a graph, by node id (a plain object: it crosses threads). */
export type GraphStatistics = Readonly<Record<string, NodeStatistics>>;

export function isStatisticNode(n: Graph['nodes'][number]): n is StatisticNode {
  return n.op === 'instanceNorm' || n.op === 'globalAvgPool';
}

/** The graph's statistic nodes, in topological order. */
export function statisticNodes(g: Graph): StatisticNode[] {
  return g.nodes.filter(isStatisticNode);
}

/** Channels of a statistic node (a global pool keeps its input's channels). */
export function statisticChannels(g: Graph, n: StatisticNode): number {
  if (n.op === 'instanceNorm') return n.channels;
  const channels = new Map<string, number>([[g.input, g.inChannels]]);
  for (const m of g.nodes) {
    if (m.id === n.id) break;
    channels.set(m.id, channelsOf(m, channels));
  }
  const c = channels.get(n.x);
  if (c === undefined) throw new DurnBugError(`statistic node ${n.id} reads unknown value ${n.x}`);
  return c;
}

function channelsOf(m: Graph['nodes'][number], known: Map<string, number>): number {
  switch (m.op) {
    case 'conv2d':
    case 'convTranspose2d':
      return m.outC;
    case 'linear':
      return m.outF;
    case 'pixelShuffle':
      return known.get(m.x)! / (m.factor * m.factor);
    case 'add':
    case 'sub':
    case 'mul':
      return known.get(m.a)!;
    default:
      return known.get(m.x)!;
  }
}

/** Throws a bug error unless `stats` holds exactly the right vectors for every statistic node. */
export function checkStatistics(g: Graph, stats: GraphStatistics): void {
  for (const n of statisticNodes(g)) {
    const s = stats[n.id];
    const c = statisticChannels(g, n);
    if (!s || s.mean.length !== c || (n.op === 'instanceNorm' && s.variance?.length !== c)) {
      throw new DurnBugError(`statistics for ${n.id} missing or not ${c} channels`);
    }
  }
}

/** Names under which engines exchange a node's statistics (ONNX inputs and outputs). */
export function statisticNames(n: StatisticNode): { mean: string; variance: string } {
  return { mean: `${n.id}.stat_mean`, variance: `${n.id}.stat_var` };
}

/**
 * Reads the collected statistics of `nodes` from an engine's named outputs (`statisticNames`);
 * `engine` names the engine in the error when an output is missing.
 */
export function gatherStatistics(
  nodes: readonly StatisticNode[],
  output: (name: string) => ArrayLike<number> | undefined,
  engine: string,
): Record<string, NodeStatistics> {
  const stats: Record<string, NodeStatistics> = {};
  for (const n of nodes) {
    const names = statisticNames(n);
    const vector = (name: string) => {
      const t = output(name);
      if (!t) throw new DurnBugError(`${engine}: no ${name}`);
      return Float32Array.from(t);
    };
    stats[n.id] =
      n.op === 'instanceNorm'
        ? { mean: vector(names.mean), variance: vector(names.variance) }
        : { mean: vector(names.mean) };
  }
  return stats;
}
