import { DurnBugError } from '../../core/errors.ts';
import type { Graph, GraphNode, PadMode, Pads, ParamRole, ParamSpec, Value } from './types.ts';

const same = (p: number): Pads => ({ top: p, bottom: p, left: p, right: p });

/**
 * Builds a Graph while network definitions read like the paper: each call adds one layer,
 * declares its parameters under their PyTorch names, and returns the value it produces.
 */
export class GraphBuilder {
  private readonly nodes: GraphNode[] = [];
  private readonly params = new Map<string, ParamSpec>();
  private readonly unused: string[] = [];
  private counter = 0;
  readonly input: Value;

  constructor(inChannels: number) {
    this.input = { id: 'input', channels: inChannels };
  }

  private nextId(op: string): string {
    this.counter += 1;
    return `${op}_${this.counter}`;
  }

  private param(name: string, shape: number[], role: ParamRole, extra: Partial<ParamSpec> = {}): string {
    if (this.params.has(name)) throw new DurnBugError(`parameter ${name} declared twice`);
    this.params.set(name, {
      name,
      shape,
      dtype: 'float32',
      role,
      trainable: true,
      optional: false,
      ...extra,
    });
    return name;
  }

  private add<N extends GraphNode>(node: N, channels: number): Value {
    this.nodes.push(node);
    return { id: node.id, channels };
  }

  /** Convolution with explicit padding; `weightKey`/`biasKey` are full state_dict names. */
  conv2d(
    x: Value,
    o: {
      outC: number;
      kernel: number;
      stride?: number;
      dilation?: number;
      pad: number | Pads;
      padMode: PadMode;
      weightKey: string;
      biasKey: string | null;
    },
  ): Value {
    const k = o.kernel;
    const weight = this.param(o.weightKey, [o.outC, x.channels, k, k], 'weight');
    const bias = o.biasKey === null ? null : this.param(o.biasKey, [o.outC], 'bias');
    return this.add(
      {
        id: this.nextId('conv'),
        op: 'conv2d',
        x: x.id,
        weight,
        bias,
        inC: x.channels,
        outC: o.outC,
        kernel: k,
        stride: o.stride ?? 1,
        dilation: o.dilation ?? 1,
        pad: typeof o.pad === 'number' ? same(o.pad) : o.pad,
        padMode: o.padMode,
      },
      o.outC,
    );
  }

  convTranspose2d(
    x: Value,
    o: { outC: number; kernel: number; stride: number; padding: number; weightKey: string; biasKey: string },
  ): Value {
    const weight = this.param(o.weightKey, [x.channels, o.outC, o.kernel, o.kernel], 'weight');
    const bias = this.param(o.biasKey, [o.outC], 'bias');
    return this.add(
      {
        id: this.nextId('deconv'),
        op: 'convTranspose2d',
        x: x.id,
        weight,
        bias,
        inC: x.channels,
        outC: o.outC,
        kernel: o.kernel,
        stride: o.stride,
        padding: o.padding,
      },
      o.outC,
    );
  }

  batchNorm(x: Value, prefix: string): Value {
    const c = x.channels;
    this.param(`${prefix}.weight`, [c], 'bn.weight');
    this.param(`${prefix}.bias`, [c], 'bn.bias');
    this.param(`${prefix}.running_mean`, [c], 'bn.running_mean', { trainable: false });
    this.param(`${prefix}.running_var`, [c], 'bn.running_var', { trainable: false });
    this.param(`${prefix}.num_batches_tracked`, [], 'bn.num_batches_tracked', {
      trainable: false,
      optional: true,
      dtype: 'int64',
    });
    return this.add(
      { id: this.nextId('bn'), op: 'batchNorm', x: x.id, prefix, channels: c, eps: 1e-5, momentum: 0.1 },
      c,
    );
  }

  instanceNorm(x: Value, prefix: string, eps = 1e-9): Value {
    const c = x.channels;
    this.param(`${prefix}.scale`, [c], 'in.scale');
    this.param(`${prefix}.shift`, [c], 'in.shift');
    return this.add({ id: this.nextId('in'), op: 'instanceNorm', x: x.id, prefix, channels: c, eps }, c);
  }

  relu(x: Value): Value {
    return this.add({ id: this.nextId('relu'), op: 'relu', x: x.id }, x.channels);
  }

  tanh(x: Value): Value {
    return this.add({ id: this.nextId('tanh'), op: 'tanh', x: x.id }, x.channels);
  }

  sigmoid(x: Value): Value {
    return this.add({ id: this.nextId('sigmoid'), op: 'sigmoid', x: x.id }, x.channels);
  }

  private binary(op: 'add' | 'sub' | 'mul', a: Value, b: Value): Value {
    if (op !== 'mul' && a.channels !== b.channels) {
      throw new DurnBugError(`${op} of ${a.channels} and ${b.channels} channels`);
    }
    return this.add({ id: this.nextId(op), op, a: a.id, b: b.id }, a.channels);
  }

  addValues(a: Value, b: Value): Value {
    return this.binary('add', a, b);
  }

  sub(a: Value, b: Value): Value {
    return this.binary('sub', a, b);
  }

  /** a * b where b is [N, C, 1, 1]. */
  scaleChannels(a: Value, b: Value): Value {
    return this.binary('mul', a, b);
  }

  pixelShuffle(x: Value, factor = 2): Value {
    const c = x.channels / (factor * factor);
    if (!Number.isInteger(c)) throw new DurnBugError(`pixelShuffle of ${x.channels} channels`);
    return this.add({ id: this.nextId('ps'), op: 'pixelShuffle', x: x.id, factor }, c);
  }

  globalAvgPool(x: Value): Value {
    return this.add({ id: this.nextId('gap'), op: 'globalAvgPool', x: x.id }, x.channels);
  }

  linear(x: Value, o: { outF: number; weightKey: string; biasKey: string }): Value {
    const weight = this.param(o.weightKey, [o.outF, x.channels], 'weight');
    const bias = this.param(o.biasKey, [o.outF], 'bias');
    return this.add(
      { id: this.nextId('fc'), op: 'linear', x: x.id, weight, bias, inF: x.channels, outF: o.outF },
      o.outF,
    );
  }

  pad(x: Value, mode: PadMode, pads: Pads): Value {
    return this.add({ id: this.nextId('pad'), op: 'pad', x: x.id, mode, pads }, x.channels);
  }

  avgPool(x: Value, kernel: number, stride: number): Value {
    return this.add({ id: this.nextId('avgpool'), op: 'avgPool', x: x.id, kernel, stride }, x.channels);
  }

  /** A key the reference checkpoint carries that the network does not use. */
  unusedKey(name: string): void {
    this.unused.push(name);
  }

  build(output: Value): Graph {
    return {
      input: this.input.id,
      inChannels: this.input.channels,
      nodes: [...this.nodes],
      output: output.id,
      outChannels: output.channels,
      params: [...this.params.values()],
      unusedKeys: [...this.unused],
    };
  }
}
