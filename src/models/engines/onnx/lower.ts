/**
 * Lowers durn's network IR (PyTorch semantics, NCHW) plus a state_dict to an ONNX model, in
 * memory. One case per IR op; nothing here knows which network it is lowering.
 *
 * - Eval-mode BatchNorm is folded into the convolution that feeds it alone; any other BatchNorm
 *   becomes a per-channel Mul and Add.
 * - Reflection padding is an explicit Pad(reflect) before a pad-free Conv; zero padding goes
 *   into the Conv's own `pads`.
 * - Instance norm is either ONNX InstanceNormalization or its decomposition into reductions;
 *   both are exact at durn's eps of 1e-9 (biased variance), see the tests.
 */
import { DurnBugError, DurnUserError } from '../../../core/errors.ts';
import type { BatchNormNode, Conv2dNode, Graph, GraphNode, NetworkDefinition } from '../../graph/types.ts';
import type { StateDict } from '../../weights/types.ts';
import { encodeModel, ONNX_FLOAT, type OnnxInitializer, type OnnxModel, type OnnxNode } from './protobuf.ts';
import { canUseSubPixel, subPixelBias, subPixelWeights } from './subpixel.ts';

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
export const INPUT_NAME = 'input';
export const OUTPUT_NAME = 'output';

export interface LowerOptions {
  /** 'native': InstanceNormalization; 'decomposed': ReduceMean/Sub/Mul/Sqrt/Div. */
  readonly instanceNorm?: 'native' | 'decomposed';
  /** Fold BatchNorm into the preceding conv (default true; off only to test the Mul/Add path). */
  readonly foldBatchNorm?: boolean;
  /**
   * 'native' (default): ConvTranspose. 'subpixel' (where kernel % stride == 0): Conv + DepthToSpace +
   * Slice; ORT's profiler charges ConvTranspose half of DuRN-S-P's time, but wall-clock runs on a
   * loaded 2-core machine showed no gain, so it stays opt-in until measured on a quiet one.
   */
  readonly convTranspose?: 'subpixel' | 'native';
}

export interface LoweredModel {
  readonly model: OnnxModel;
  /** How many BatchNorms were folded into convolutions and how many became Mul/Add. */
  readonly stats: { foldedBatchNorms: number; unfoldedBatchNorms: number };
}

/** Counts how many nodes read each value (the graph output counts as a reader). */
function readers(g: Graph): Map<string, number> {
  const count = new Map<string, number>([[g.output, 1]]);
  const bump = (id: string) => count.set(id, (count.get(id) ?? 0) + 1);
  for (const n of g.nodes) {
    if ('a' in n) {
      bump(n.a);
      bump(n.b);
    } else bump(n.x);
  }
  return count;
}

/** Reads float tensors out of the state_dict, checking each against the graph's declared shape. */
function paramReader(g: Graph, weights: StateDict) {
  const specs = new Map(g.params.map((p) => [p.name, p]));
  return (name: string): Float32Array => {
    const t = weights.get(name);
    const spec = specs.get(name);
    if (!spec) throw new DurnBugError(`lowering reads ${name}, which the graph does not declare`);
    if (!t) {
      throw new DurnUserError(
        'WEIGHTS_MISMATCH',
        `Expected a tensor named ${name} in the weights but found none`,
        {
          hint: 'The weights do not belong to this network; check the --arch or the weights file.',
        },
      );
    }
    const shapeOk = t.shape.length === spec.shape.length && t.shape.every((d, i) => d === spec.shape[i]);
    if (!(t.data instanceof Float32Array) || !shapeOk) {
      throw new DurnUserError(
        'WEIGHTS_MISMATCH',
        `Expected float32 [${spec.shape.join(', ')}] for weight ${name} but received ${t.dtype} [${t.shape.join(', ')}]`,
        { hint: 'The weights do not belong to this network; check the --arch or the weights file.' },
      );
    }
    return t.data;
  };
}

/** Per-channel affine form of an eval-mode BatchNorm, computed in float64. */
function batchNormAffine(
  bn: BatchNormNode,
  read: (name: string) => Float32Array,
): { scale: Float64Array; shift: Float64Array } {
  const gamma = read(`${bn.prefix}.weight`);
  const beta = read(`${bn.prefix}.bias`);
  const mean = read(`${bn.prefix}.running_mean`);
  const variance = read(`${bn.prefix}.running_var`);
  const scale = new Float64Array(bn.channels);
  const shift = new Float64Array(bn.channels);
  for (let c = 0; c < bn.channels; c++) {
    scale[c] = gamma[c]! / Math.sqrt(variance[c]! + bn.eps);
    shift[c] = beta[c]! - mean[c]! * scale[c]!;
  }
  return { scale, shift };
}

/** Builds the ONNX graph for `network` with `weights`. */
export function lowerNetwork(
  network: NetworkDefinition,
  weights: StateDict,
  options: LowerOptions = {},
): LoweredModel {
  const g = network.graph;
  const read = paramReader(g, weights);
  const nodes: OnnxNode[] = [];
  const inits: OnnxInitializer[] = [];
  const initNames = new Set<string>();
  const stats = { foldedBatchNorms: 0, unfoldedBatchNorms: 0 };
  const fold = options.foldBatchNorm ?? true;

  const init = (name: string, dims: number[], data: Float32Array | BigInt64Array): string => {
    if (initNames.has(name)) throw new DurnBugError(`initializer ${name} defined twice`);
    initNames.add(name);
    inits.push({ name, dims, data });
    return name;
  };
  const ints = (name: string, values: number[]) =>
    init(
      name,
      [values.length],
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
  const emit = (node: OnnxNode) => nodes.push(node);

  // Graph value id → ONNX tensor name. The graph output is renamed to OUTPUT_NAME.
  const names = new Map<string, string>([[g.input, INPUT_NAME]]);
  const nameOf = (id: string) => {
    const n = names.get(id);
    if (n === undefined) throw new DurnBugError(`value ${id} used before it is lowered`);
    return n;
  };
  const out = (id: string) => {
    const n = id === g.output ? OUTPUT_NAME : id;
    names.set(id, n);
    return n;
  };

  // A BatchNorm is folded when it reads a conv that nothing else reads.
  const count = readers(g);
  const foldedInto = new Map<string, BatchNormNode>(); // conv id → the BN it absorbs
  const producers = new Map<string, GraphNode>(g.nodes.map((n) => [n.id, n]));
  if (fold) {
    for (const n of g.nodes) {
      if (n.op !== 'batchNorm') continue;
      const p = producers.get(n.x);
      if (p?.op === 'conv2d' && count.get(p.id) === 1) foldedInto.set(p.id, n);
    }
  }

  const perChannel = (name: string, values: ArrayLike<number>) =>
    init(name, [values.length, 1, 1], Float32Array.from(values));

  const lowerConv = (n: Conv2dNode) => {
    let x = nameOf(n.x);
    const { top, bottom, left, right } = n.pad;
    const padded = top + bottom + left + right > 0;
    if (padded && n.padMode === 'reflect') {
      const pads = ints(`${n.id}.pads`, [0, 0, top, left, 0, 0, bottom, right]);
      emit({
        op: 'Pad',
        name: `${n.id}.pad`,
        inputs: [x, pads],
        outputs: [`${n.id}.padded`],
        attributes: { mode: { kind: 'string', value: 'reflect' } },
      });
      x = `${n.id}.padded`;
    }
    const bn = foldedInto.get(n.id);
    let w = read(n.weight);
    let b: Float32Array | null = n.bias === null ? null : read(n.bias);
    if (bn) {
      // conv then BN: w' = w·s per output channel, b' = (b − mean)·s + β = b·s + shift.
      const { scale, shift } = batchNormAffine(bn, read);
      const per = w.length / n.outC;
      const fw = new Float32Array(w.length);
      const fb = new Float32Array(n.outC);
      for (let o = 0; o < n.outC; o++) {
        const s = scale[o]!;
        for (let i = o * per; i < (o + 1) * per; i++) fw[i] = w[i]! * s;
        fb[o] = (b ? b[o]! : 0) * s + shift[o]!;
      }
      w = fw;
      b = fb;
      stats.foldedBatchNorms += 1;
    }
    const k = n.kernel;
    const inputs = [x, init(`${n.id}.weight`, [n.outC, n.inC, k, k], w)];
    if (b) inputs.push(init(`${n.id}.bias`, [n.outC], b));
    const zeroPads = n.padMode === 'zero' ? [top, left, bottom, right] : [0, 0, 0, 0];
    emit({
      op: 'Conv',
      name: n.id,
      inputs,
      outputs: [out(bn ? bn.id : n.id)],
      attributes: {
        kernel_shape: { kind: 'ints', value: [k, k] },
        strides: { kind: 'ints', value: [n.stride, n.stride] },
        dilations: { kind: 'ints', value: [n.dilation, n.dilation] },
        pads: { kind: 'ints', value: zeroPads },
        group: { kind: 'int', value: 1 },
      },
    });
    if (bn) names.set(n.id, nameOf(bn.id));
  };

  let axes23: string | null = null;
  for (const n of g.nodes) {
    switch (n.op) {
      case 'conv2d':
        lowerConv(n);
        break;
      case 'batchNorm': {
        const p = producers.get(n.x);
        if (p && foldedInto.get(p.id) === n) break; // emitted with its conv
        const { scale, shift } = batchNormAffine(n, read);
        const s = perChannel(`${n.id}.scale`, scale);
        const t = perChannel(`${n.id}.shift`, shift);
        emit({ op: 'Mul', name: `${n.id}.mul`, inputs: [nameOf(n.x), s], outputs: [`${n.id}.scaled`] });
        emit({ op: 'Add', name: n.id, inputs: [`${n.id}.scaled`, t], outputs: [out(n.id)] });
        stats.unfoldedBatchNorms += 1;
        break;
      }
      case 'instanceNorm': {
        const scale = read(`${n.prefix}.scale`);
        const shift = read(`${n.prefix}.shift`);
        const x = nameOf(n.x);
        if ((options.instanceNorm ?? 'native') === 'native') {
          const s = init(`${n.id}.scale`, [n.channels], scale);
          const t = init(`${n.id}.shift`, [n.channels], shift);
          emit({
            op: 'InstanceNormalization',
            name: n.id,
            inputs: [x, s, t],
            outputs: [out(n.id)],
            attributes: { epsilon: { kind: 'float', value: n.eps } },
          });
        } else {
          const id = n.id;
          const mean = {
            axes: { kind: 'ints', value: [2, 3] },
            keepdims: { kind: 'int', value: 1 },
          } as const;
          emit({
            op: 'ReduceMean',
            name: `${id}.mean`,
            inputs: [x],
            outputs: [`${id}.mu`],
            attributes: mean,
          });
          emit({ op: 'Sub', name: `${id}.center`, inputs: [x, `${id}.mu`], outputs: [`${id}.d`] });
          emit({ op: 'Mul', name: `${id}.sq`, inputs: [`${id}.d`, `${id}.d`], outputs: [`${id}.d2`] });
          emit({
            op: 'ReduceMean',
            name: `${id}.var`,
            inputs: [`${id}.d2`],
            outputs: [`${id}.v`],
            attributes: mean,
          });
          const eps = init(`${id}.eps`, [], Float32Array.of(n.eps));
          emit({ op: 'Add', name: `${id}.veps`, inputs: [`${id}.v`, eps], outputs: [`${id}.ve`] });
          emit({ op: 'Sqrt', name: `${id}.std`, inputs: [`${id}.ve`], outputs: [`${id}.sd`] });
          emit({ op: 'Div', name: `${id}.norm`, inputs: [`${id}.d`, `${id}.sd`], outputs: [`${id}.n`] });
          const s = perChannel(`${id}.scale`, scale);
          const t = perChannel(`${id}.shift`, shift);
          emit({ op: 'Mul', name: `${id}.mul`, inputs: [`${id}.n`, s], outputs: [`${id}.ns`] });
          emit({ op: 'Add', name: id, inputs: [`${id}.ns`, t], outputs: [out(id)] });
        }
        break;
      }
      case 'relu':
      case 'tanh':
      case 'sigmoid': {
        const op = n.op === 'relu' ? 'Relu' : n.op === 'tanh' ? 'Tanh' : 'Sigmoid';
        emit({ op, name: n.id, inputs: [nameOf(n.x)], outputs: [out(n.id)] });
        break;
      }
      case 'add':
      case 'sub':
      case 'mul': {
        const op = n.op === 'add' ? 'Add' : n.op === 'sub' ? 'Sub' : 'Mul';
        emit({ op, name: n.id, inputs: [nameOf(n.a), nameOf(n.b)], outputs: [out(n.id)] });
        break;
      }
      case 'pixelShuffle':
        emit({
          op: 'DepthToSpace',
          name: n.id,
          inputs: [nameOf(n.x)],
          outputs: [out(n.id)],
          attributes: { blocksize: { kind: 'int', value: n.factor }, mode: { kind: 'string', value: 'CRD' } },
        });
        break;
      case 'globalAvgPool':
        emit({ op: 'GlobalAveragePool', name: n.id, inputs: [nameOf(n.x)], outputs: [out(n.id)] });
        break;
      case 'linear': {
        // [N, C, 1, 1] → [N, C] → Gemm with W [out, in] (transB) → back to [N, out, 1, 1].
        axes23 ??= ints('axes_2_3', [2, 3]);
        const w = init(`${n.id}.weight`, [n.outF, n.inF], read(n.weight));
        const inputs = [`${n.id}.flat`, w];
        if (n.bias !== null) inputs.push(init(`${n.id}.bias`, [n.outF], read(n.bias)));
        emit({
          op: 'Flatten',
          name: `${n.id}.flatten`,
          inputs: [nameOf(n.x)],
          outputs: [`${n.id}.flat`],
          attributes: { axis: { kind: 'int', value: 1 } },
        });
        emit({
          op: 'Gemm',
          name: `${n.id}.gemm`,
          inputs,
          outputs: [`${n.id}.y`],
          attributes: { transB: { kind: 'int', value: 1 } },
        });
        emit({ op: 'Unsqueeze', name: n.id, inputs: [`${n.id}.y`, axes23], outputs: [out(n.id)] });
        break;
      }
      case 'pad': {
        const { top, bottom, left, right } = n.pads;
        const pads = ints(`${n.id}.pads`, [0, 0, top, left, 0, 0, bottom, right]);
        const mode = n.mode === 'reflect' ? 'reflect' : 'constant';
        emit({
          op: 'Pad',
          name: n.id,
          inputs: [nameOf(n.x), pads],
          outputs: [out(n.id)],
          attributes: { mode: { kind: 'string', value: mode } },
        });
        break;
      }
      case 'avgPool':
        emit({
          op: 'AveragePool',
          name: n.id,
          inputs: [nameOf(n.x)],
          outputs: [out(n.id)],
          attributes: {
            kernel_shape: { kind: 'ints', value: [n.kernel, n.kernel] },
            strides: { kind: 'ints', value: [n.stride, n.stride] },
          },
        });
        break;
      case 'convTranspose2d': {
        const { kernel: k, stride: st, padding: p } = n;
        const w = read(n.weight);
        const b = n.bias === null ? null : read(n.bias);
        if (options.convTranspose === 'subpixel' && canUseSubPixel(k, st)) {
          // Conv to s² phases (zero pad K−1), DepthToSpace, then crop `padding` from every side.
          const K = k / st;
          const inputs = [
            nameOf(n.x),
            init(`${n.id}.weight`, [n.outC * st * st, n.inC, K, K], subPixelWeights(w, n.inC, n.outC, k, st)),
          ];
          if (b) inputs.push(init(`${n.id}.bias`, [n.outC * st * st], subPixelBias(b, st)));
          emit({
            op: 'Conv',
            name: `${n.id}.phases`,
            inputs,
            outputs: [`${n.id}.ph`],
            attributes: {
              kernel_shape: { kind: 'ints', value: [K, K] },
              pads: { kind: 'ints', value: [K - 1, K - 1, K - 1, K - 1] },
            },
          });
          const full = p > 0 ? `${n.id}.full` : out(n.id);
          emit({
            op: 'DepthToSpace',
            name: `${n.id}.d2s`,
            inputs: [`${n.id}.ph`],
            outputs: [full],
            attributes: { blocksize: { kind: 'int', value: st }, mode: { kind: 'string', value: 'CRD' } },
          });
          if (p > 0) {
            const starts = ints(`${n.id}.starts`, [p, p]);
            const ends = ints(`${n.id}.ends`, [-p, -p]);
            axes23 ??= ints('axes_2_3', [2, 3]);
            emit({ op: 'Slice', name: n.id, inputs: [full, starts, ends, axes23], outputs: [out(n.id)] });
          }
          break;
        }
        // ONNX ConvTranspose weights are [C_in, C_out/group, k, k], PyTorch's layout as is.
        const inputs = [nameOf(n.x), init(`${n.id}.weight`, [n.inC, n.outC, k, k], w)];
        if (b) inputs.push(init(`${n.id}.bias`, [n.outC], b));
        emit({
          op: 'ConvTranspose',
          name: n.id,
          inputs,
          outputs: [out(n.id)],
          attributes: {
            kernel_shape: { kind: 'ints', value: [k, k] },
            strides: { kind: 'ints', value: [st, st] },
            pads: { kind: 'ints', value: [p, p, p, p] },
          },
        });
        break;
      }
      default: {
        const never: never = n;
        throw new DurnBugError(`no ONNX lowering for ${(never as GraphNode).op}`);
      }
    }
  }
  if (nameOf(g.output) !== OUTPUT_NAME) throw new DurnBugError('graph output was not lowered');

  const model: OnnxModel = {
    irVersion: ONNX_IR_VERSION,
    opset: ONNX_OPSET,
    producer: 'durn',
    producerVersion: '1',
    graphName: network.id,
    docString: `${network.title} (${network.purpose}), lowered from durn's network graph`,
    nodes,
    initializers: inits,
    inputs: [{ name: INPUT_NAME, elemType: ONNX_FLOAT, dims: ['N', network.inChannels, 'H', 'W'] }],
    outputs: [{ name: OUTPUT_NAME, elemType: ONNX_FLOAT, dims: ['N', network.outChannels, 'H', 'W'] }],
  };
  return { model, stats };
}

/** The serialised ModelProto, ready for `InferenceSession.create(bytes)`. */
export function lowerToOnnx(
  network: NetworkDefinition,
  weights: StateDict,
  options: LowerOptions = {},
): Uint8Array {
  return encodeModel(lowerNetwork(network, weights, options).model);
}
