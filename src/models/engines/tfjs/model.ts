/**
 * A network's parameters as tfjs variables, with inference (`predict`) and one training step
 * (`trainStep`: gradients of every trainable parameter, BatchNorm running statistics updated as
 * PyTorch does), and the way back to a PyTorch-layout state_dict.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DurnBugError, DurnUserError } from '../../../core/errors.ts';
import type { NetworkDefinition, ParamSpec } from '../../graph/types.ts';
import type { HostTensor, StateDict } from '../../weights/types.ts';
import { type BatchNormStats, runGraph } from './interpreter.ts';

type T4 = tf.Tensor4D;

/** How a parameter is stored in the engine, relative to its PyTorch layout. */
type Layout = 'oihw→hwio' | 'linear→transposed' | 'as-is';

export interface TrainStepResult {
  readonly loss: number;
  /** Gradient of every trainable parameter by state_dict key, in engine layout (see `layoutOf`). */
  readonly grads: Map<string, tf.Tensor>;
}

let modelCounter = 0;

function layoutFor(def: NetworkDefinition, spec: ParamSpec): Layout {
  if (spec.role !== 'weight') return 'as-is';
  for (const n of def.graph.nodes) {
    if (n.op === 'conv2d' && n.weight === spec.name) return 'oihw→hwio';
    if (n.op === 'linear' && n.weight === spec.name) return 'linear→transposed';
  }
  return 'as-is'; // transposed-conv weights keep PyTorch's [in, out, k, k]
}

function toEngine(t: tf.Tensor, layout: Layout): tf.Tensor {
  if (layout === 'oihw→hwio') return tf.transpose(t, [2, 3, 1, 0]);
  if (layout === 'linear→transposed') return tf.transpose(t, [1, 0]);
  return t;
}

function toPyTorch(t: tf.Tensor, layout: Layout): tf.Tensor {
  if (layout === 'oihw→hwio') return tf.transpose(t, [3, 2, 0, 1]);
  if (layout === 'linear→transposed') return tf.transpose(t, [1, 0]);
  return t;
}

export class TfjsModel {
  readonly def: NetworkDefinition;
  private readonly vars = new Map<string, tf.Variable>();
  private readonly layouts = new Map<string, Layout>();
  private readonly batchesTracked = new Map<string, bigint>();
  private readonly trainable: tf.Variable[] = [];
  private readonly keyOfVar = new Map<string, string>();
  private disposed = false;

  private constructor(def: NetworkDefinition) {
    this.def = def;
  }

  /**
   * Builds the variables from a state_dict holding every non-optional parameter of `def` with the
   * declared shapes (checked here; the weights loader reports mismatches to users first).
   */
  static fromStateDict(def: NetworkDefinition, tensors: StateDict): TfjsModel {
    const model = new TfjsModel(def);
    const id = ++modelCounter;
    try {
      for (const spec of def.graph.params) {
        const t = tensors.get(spec.name);
        if (spec.dtype === 'int64') {
          const counter = t?.data instanceof BigInt64Array ? (t.data[0] ?? 0n) : 0n;
          model.batchesTracked.set(spec.name, counter);
          continue;
        }
        if (!t) {
          throw new DurnUserError('WEIGHTS_MISMATCH', `The weights for ${def.title} lack ${spec.name}`, {
            hint: 'Use weights made for this network.',
          });
        }
        const shapeOk = t.shape.length === spec.shape.length && t.shape.every((d, i) => d === spec.shape[i]);
        if (!shapeOk || !(t.data instanceof Float32Array)) {
          throw new DurnUserError(
            'WEIGHTS_MISMATCH',
            `Expected float32 [${spec.shape.join(', ')}] for ${spec.name} of ${def.title} but received ${t.dtype} [${t.shape.join(', ')}]`,
            { hint: 'Use weights made for this network.' },
          );
        }
        const layout = layoutFor(def, spec);
        const value = tf.tidy(() => toEngine(tf.tensor(t.data as Float32Array, [...t.shape]), layout));
        // tfjs variable names are process-global: prefix the state_dict key with the model's id.
        const v = tf.variable(value, spec.trainable, `durn${id}/${spec.name}`);
        value.dispose();
        model.vars.set(spec.name, v);
        model.layouts.set(spec.name, layout);
        model.keyOfVar.set(v.name, spec.name);
        if (spec.trainable) model.trainable.push(v);
      }
    } catch (err) {
      model.dispose();
      throw err;
    }
    return model;
  }

  private param = (name: string): tf.Tensor => {
    const v = this.vars.get(name);
    if (!v) throw new DurnBugError(`parameter ${name} of ${this.def.id} not loaded`);
    return v;
  };

  private live(): void {
    if (this.disposed) throw new DurnBugError(`${this.def.id} model used after dispose()`);
  }

  /** Inference (BatchNorm with running statistics) on x, NHWC; the caller owns the result. */
  predict(x: T4): T4 {
    this.live();
    return tf.tidy(() => runGraph(this.def.graph, x, this.param, { mode: 'eval', releaseEarly: true }));
  }

  /**
   * One forward and backward pass in train mode: the loss, and the gradient of every trainable
   * parameter (engine layout; the caller disposes them or hands them to an optimizer). BatchNorm
   * running statistics and counters are updated as PyTorch updates them.
   */
  trainStep(x: T4, target: T4, lossFn: (pred: T4, target: T4) => tf.Scalar): TrainStepResult {
    this.live();
    const stats: BatchNormStats[] = [];
    let result: { value: tf.Scalar; grads: tf.NamedTensorMap };
    try {
      result = tf.variableGrads(() => {
        const pred = runGraph(this.def.graph, x, this.param, {
          mode: 'train',
          onBatchNorm: (s) => stats.push(s),
        });
        return lossFn(pred, target);
      }, this.trainable);
      this.updateRunningStats(stats);
    } finally {
      for (const s of stats) tf.dispose([s.mean, s.unbiasedVariance]);
    }
    const loss = result.value.dataSync()[0]!;
    result.value.dispose();
    const grads = new Map<string, tf.Tensor>();
    for (const [varName, g] of Object.entries(result.grads)) {
      grads.set(this.keyOfVar.get(varName)!, g);
    }
    return { loss, grads };
  }

  /** trainStep, then `optimizer.applyGradients`; returns the loss. */
  trainStepWith(
    optimizer: tf.Optimizer,
    x: T4,
    target: T4,
    lossFn: (pred: T4, target: T4) => tf.Scalar,
  ): number {
    const { loss, grads } = this.trainStep(x, target, lossFn);
    const named: tf.NamedTensorMap = {};
    for (const [key, g] of grads) named[this.vars.get(key)!.name] = g;
    try {
      optimizer.applyGradients(named);
    } finally {
      tf.dispose([...grads.values()]);
    }
    return loss;
  }

  private updateRunningStats(stats: BatchNormStats[]): void {
    for (const s of stats) {
      const mean = this.vars.get(`${s.prefix}.running_mean`)!;
      const variance = this.vars.get(`${s.prefix}.running_var`)!;
      const m = s.momentum;
      tf.tidy(() => {
        mean.assign(tf.add(tf.mul(mean, 1 - m), tf.mul(s.mean, m)));
        variance.assign(tf.add(tf.mul(variance, 1 - m), tf.mul(s.unbiasedVariance, m)));
      });
      const key = `${s.prefix}.num_batches_tracked`;
      this.batchesTracked.set(key, (this.batchesTracked.get(key) ?? 0n) + 1n);
    }
  }

  /** The engine layout of a parameter relative to PyTorch's. */
  layoutOf(name: string): Layout {
    const l = this.layouts.get(name);
    if (!l) throw new DurnBugError(`no parameter ${name} in ${this.def.id}`);
    return l;
  }

  /** A tensor of parameter `name`'s engine layout (a value or gradient) in PyTorch layout, on the host. */
  toHost(name: string, t: tf.Tensor): HostTensor {
    const host = tf.tidy(() => toPyTorch(t, this.layoutOf(name)));
    const out: HostTensor = { shape: host.shape, dtype: 'float32', data: Float32Array.from(host.dataSync()) };
    if (host !== t) host.dispose();
    return out;
  }

  /** Every parameter back in PyTorch layout (int64 `num_batches_tracked`), in graph order. */
  toStateDict(): StateDict {
    this.live();
    const out: StateDict = new Map();
    for (const spec of this.def.graph.params) {
      if (spec.dtype === 'int64') {
        out.set(spec.name, {
          shape: [],
          dtype: 'int64',
          data: BigInt64Array.of(this.batchesTracked.get(spec.name) ?? 0n),
        });
      } else {
        out.set(spec.name, this.toHost(spec.name, this.vars.get(spec.name)!));
      }
    }
    return out;
  }

  /** Parameter `name` as a variable (engine layout), e.g. for an optimizer's var list. */
  variable(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new DurnBugError(`no parameter ${name} in ${this.def.id}`);
    return v;
  }

  trainableVariables(): readonly tf.Variable[] {
    return this.trainable;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
