/**
 * One model replica on the tfjs engine: loads flat parameters, computes the loss and gradients of a
 * batch shard in train mode, and reads back the BatchNorm running statistics the step produced.
 * The trainer's workers each hold one; the main thread holds one for validation and export.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initTfjs, type TfjsBackendChoice } from '../models/engines/tfjs/backend.ts';
import { registerTfjsGradients } from '../models/engines/tfjs/gradients.ts';
import { TfjsModel } from '../models/engines/tfjs/model.ts';
import type { NetworkDefinition } from '../models/graph/types.ts';
import type { StateDict } from '../models/weights/types.ts';
import type { LossKind } from './config.ts';
import { type FlatLayout, flatLayout, segment } from './flat.ts';
import { type LossFn, lossFunction } from './losses.ts';

export async function initTrainingBackend(backend: TfjsBackendChoice): Promise<string> {
  const init = await initTfjs({ backend });
  await registerTfjsGradients();
  return init.backend;
}

export class Replica {
  readonly model: TfjsModel;
  readonly layout: FlatLayout;
  private readonly lossFn: LossFn;

  constructor(def: NetworkDefinition, weights: StateDict, loss: LossKind) {
    this.model = TfjsModel.fromStateDict(def, weights);
    this.layout = flatLayout(def, (name) => this.model.variable(name).shape);
    this.lossFn = lossFunction(loss);
  }

  /** Current parameters and running statistics, flat, engine layout. */
  read(params: Float32Array, buffers: Float32Array): void {
    for (const e of this.layout.trainable) segment(params, e).set(this.model.variable(e.name).dataSync());
    for (const e of this.layout.buffers) segment(buffers, e).set(this.model.variable(e.name).dataSync());
  }

  /** Loads flat parameters (and running statistics when given). */
  write(params: Float32Array, buffers: Float32Array | null): void {
    tf.tidy(() => {
      for (const e of this.layout.trainable) {
        this.model.variable(e.name).assign(tf.tensor(segment(params, e), [...e.shape]));
      }
      if (buffers) {
        for (const e of this.layout.buffers) {
          this.model.variable(e.name).assign(tf.tensor(segment(buffers, e), [...e.shape]));
        }
      }
    });
  }

  /**
   * Loss and gradients of one shard (NHWC). Gradients go to `grads` (flat); the running statistics
   * after the step to `buffersOut`.
   */
  gradients(x: tf.Tensor4D, y: tf.Tensor4D, grads: Float32Array, buffersOut: Float32Array): number {
    const { loss, grads: map } = this.model.trainStep(x, y, this.lossFn);
    try {
      for (const e of this.layout.trainable) {
        const g = map.get(e.name);
        if (g) segment(grads, e).set(g.dataSync());
        else segment(grads, e).fill(0); // a parameter the loss does not reach
      }
    } finally {
      tf.dispose([...map.values()]);
    }
    for (const e of this.layout.buffers) segment(buffersOut, e).set(this.model.variable(e.name).dataSync());
    return loss;
  }

  /** Inference in eval mode (running statistics), NHWC in and out. */
  predict(x: tf.Tensor4D): tf.Tensor4D {
    return this.model.predict(x);
  }

  /** Loss of a prediction, with the training loss function. */
  loss(pred: tf.Tensor4D, y: tf.Tensor4D): number {
    const l = this.lossFn(pred, y);
    const v = l.dataSync()[0]!;
    l.dispose();
    return v;
  }

  /** A PyTorch-layout state_dict of the given flat values, with the counters set to `batches`. */
  stateDict(params: Float32Array, buffers: Float32Array, batches: number): StateDict {
    this.write(params, buffers);
    const sd = this.model.toStateDict();
    for (const name of this.layout.counters)
      sd.set(name, { shape: [], dtype: 'int64', data: BigInt64Array.of(BigInt(batches)) });
    return sd;
  }

  dispose(): void {
    this.model.dispose();
  }
}
