/**
 * ONNX lowering of the statistic nodes (instance norm, global average pool) in the three modes of
 * graph/statistics.ts:
 * - 'compute': statistics from the input (InstanceNormalization, or its decomposition);
 * - 'collect': as 'compute', decomposed, with each node's mean (and variance) also a graph output;
 * - 'frozen': statistics are graph inputs; an instance norm becomes an inference BatchNormalization
 *   fed those inputs ((x − mean)/√(var + eps)·scale + shift, the same formula), a global pool is
 *   replaced by its input.
 */
import type { GraphStatistics } from '../../graph/statistics.ts';
import { type StatisticNode, statisticNames } from '../../graph/statistics.ts';
import type { GlobalAvgPoolNode, InstanceNormNode } from '../../graph/types.ts';
import { ONNX_FLOAT, type OnnxNode, type OnnxValueInfo } from './protobuf.ts';

export type StatisticsMode = 'compute' | 'collect' | 'frozen';

export interface StatisticsLowering {
  readonly mode: StatisticsMode;
  readonly instanceNorm: 'native' | 'decomposed';
  readonly emit: (node: OnnxNode) => void;
  readonly init: (name: string, dims: number[], data: Float32Array) => string;
  readonly read: (name: string) => Float32Array;
  /** ONNX name of a graph value. */
  readonly nameOf: (id: string) => string;
  /** Registers and returns the ONNX name of a node's output. */
  readonly out: (id: string) => string;
  /** Graph inputs and outputs added by 'frozen' and 'collect'. */
  readonly inputs: OnnxValueInfo[];
  readonly outputs: OnnxValueInfo[];
}

const MEAN_ATTRS = {
  axes: { kind: 'ints', value: [2, 3] },
  keepdims: { kind: 'int', value: 1 },
} as const;

export function lowerInstanceNorm(n: InstanceNormNode, s: StatisticsLowering): void {
  const scale = s.read(`${n.prefix}.scale`);
  const shift = s.read(`${n.prefix}.shift`);
  const x = s.nameOf(n.x);
  const id = n.id;
  const names = statisticNames(n);
  if (s.mode === 'frozen') {
    s.inputs.push(
      { name: names.mean, elemType: ONNX_FLOAT, dims: [n.channels] },
      { name: names.variance, elemType: ONNX_FLOAT, dims: [n.channels] },
    );
    s.emit({
      op: 'BatchNormalization',
      name: id,
      inputs: [
        x,
        s.init(`${id}.scale`, [n.channels], scale),
        s.init(`${id}.shift`, [n.channels], shift),
        names.mean,
        names.variance,
      ],
      outputs: [s.out(id)],
      attributes: { epsilon: { kind: 'float', value: n.eps } },
    });
    return;
  }
  if (s.mode === 'compute' && s.instanceNorm === 'native') {
    s.emit({
      op: 'InstanceNormalization',
      name: id,
      inputs: [x, s.init(`${id}.scale`, [n.channels], scale), s.init(`${id}.shift`, [n.channels], shift)],
      outputs: [s.out(id)],
      attributes: { epsilon: { kind: 'float', value: n.eps } },
    });
    return;
  }
  s.emit({
    op: 'ReduceMean',
    name: `${id}.mean`,
    inputs: [x],
    outputs: [`${id}.mu`],
    attributes: MEAN_ATTRS,
  });
  s.emit({ op: 'Sub', name: `${id}.center`, inputs: [x, `${id}.mu`], outputs: [`${id}.d`] });
  s.emit({ op: 'Mul', name: `${id}.sq`, inputs: [`${id}.d`, `${id}.d`], outputs: [`${id}.d2`] });
  s.emit({
    op: 'ReduceMean',
    name: `${id}.var`,
    inputs: [`${id}.d2`],
    outputs: [`${id}.v`],
    attributes: MEAN_ATTRS,
  });
  const eps = s.init(`${id}.eps`, [], Float32Array.of(n.eps));
  s.emit({ op: 'Add', name: `${id}.veps`, inputs: [`${id}.v`, eps], outputs: [`${id}.ve`] });
  s.emit({ op: 'Sqrt', name: `${id}.std`, inputs: [`${id}.ve`], outputs: [`${id}.sd`] });
  s.emit({ op: 'Div', name: `${id}.norm`, inputs: [`${id}.d`, `${id}.sd`], outputs: [`${id}.n`] });
  const sc = s.init(`${id}.scale`, [n.channels, 1, 1], scale);
  const sh = s.init(`${id}.shift`, [n.channels, 1, 1], shift);
  s.emit({ op: 'Mul', name: `${id}.mul`, inputs: [`${id}.n`, sc], outputs: [`${id}.ns`] });
  s.emit({ op: 'Add', name: id, inputs: [`${id}.ns`, sh], outputs: [s.out(id)] });
  if (s.mode === 'collect') {
    exposeOutput(s, `${id}.mu`, names.mean, n.channels);
    exposeOutput(s, `${id}.v`, names.variance, n.channels);
  }
}

export function lowerGlobalAvgPool(n: GlobalAvgPoolNode, channels: number, s: StatisticsLowering): void {
  const names = statisticNames(n);
  if (s.mode === 'frozen') {
    s.inputs.push({ name: names.mean, elemType: ONNX_FLOAT, dims: [1, channels, 1, 1] });
    s.emit({ op: 'Identity', name: n.id, inputs: [names.mean], outputs: [s.out(n.id)] });
    return;
  }
  s.emit({ op: 'GlobalAveragePool', name: n.id, inputs: [s.nameOf(n.x)], outputs: [s.out(n.id)] });
  if (s.mode === 'collect') exposeOutput(s, s.nameOf(n.id), names.mean, channels);
}

function exposeOutput(s: StatisticsLowering, value: string, name: string, channels: number): void {
  s.emit({ op: 'Identity', name: `${name}.out`, inputs: [value], outputs: [name] });
  s.outputs.push({ name, elemType: ONNX_FLOAT, dims: [1, channels, 1, 1] });
}

/** ORT feeds for frozen statistics: each node's vectors shaped as its inputs declare. */
export function statisticFeeds(
  nodes: readonly StatisticNode[],
  stats: GraphStatistics,
): { name: string; data: Float32Array; dims: number[] }[] {
  const feeds: { name: string; data: Float32Array; dims: number[] }[] = [];
  for (const n of nodes) {
    const names = statisticNames(n);
    const s = stats[n.id]!;
    if (n.op === 'instanceNorm') {
      feeds.push({ name: names.mean, data: s.mean, dims: [s.mean.length] });
      feeds.push({ name: names.variance, data: s.variance!, dims: [s.variance!.length] });
    } else feeds.push({ name: names.mean, data: s.mean, dims: [1, s.mean.length, 1, 1] });
  }
  return feeds;
}
