/** The tfjs engine as an InferenceSession: one planar CHW image in, one out. */
import * as tf from '@tensorflow/tfjs-core';
import { DurnUserError } from '../../../core/errors.ts';
import type { ImageTensor, InferenceSession, SessionOptions } from '../types.ts';
import { initTfjs, type TfjsBackendChoice } from './backend.ts';
import { TfjsModel } from './model.ts';

export interface TfjsSessionOptions extends SessionOptions {
  /** Overrides the device mapping (and DURN_TFJS_BACKEND). */
  readonly backend?: TfjsBackendChoice;
}

/** device → backend: cuda needs tfjs-node-gpu; cpu and auto try the fastest that loads. */
function backendFor(o: TfjsSessionOptions): TfjsBackendChoice | undefined {
  if (o.backend) return o.backend;
  if (o.device === 'cuda') return 'node-gpu';
  return undefined;
}

function checkInput(o: SessionOptions, input: ImageTensor): void {
  const net = o.network;
  const { channels, height, width, data } = input;
  if (channels !== net.inChannels) {
    throw new DurnUserError(
      'INVALID_INPUT',
      `Expected ${net.inChannels}-channel input for ${net.title} but received ${channels} channels`,
      { hint: net.inChannels === 1 ? 'Convert the image to grayscale.' : 'Convert the image to RGB.' },
    );
  }
  const m = net.sizeMultiple;
  if (height % m !== 0 || width % m !== 0 || height < net.minSide || width < net.minSide) {
    throw new DurnUserError(
      'INVALID_INPUT',
      `Expected sides that are multiples of ${m} and at least ${net.minSide} for ${net.title} but received ${width}×${height}`,
      { hint: 'Pad or tile the image to a legal size (the pipeline does this for you).' },
    );
  }
  if (data.length !== channels * height * width) {
    throw new DurnUserError(
      'INVALID_INPUT',
      `Expected ${channels * height * width} values for a ${channels}×${height}×${width} image but received ${data.length}`,
    );
  }
}

export async function createTfjsSession(opts: TfjsSessionOptions): Promise<InferenceSession> {
  const backend = backendFor(opts);
  const init = await initTfjs(backend ? { backend } : {});
  const model = TfjsModel.fromStateDict(opts.network, opts.weights);
  const net = opts.network;
  let closed = false;
  return {
    engine: 'tfjs',
    description: `tfjs ${init.backend}${init.backend === 'wasm' ? ' (1 thread)' : ''}`,
    async run(input: ImageTensor): Promise<ImageTensor> {
      if (closed) throw new DurnUserError('INVALID_OPTION', 'The tfjs session was used after dispose()');
      checkInput(opts, input);
      const { channels, height, width } = input;
      const out = tf.tidy(() => {
        const x = tf.transpose(
          tf.tensor4d(input.data, [1, channels, height, width]),
          [0, 2, 3, 1],
        ) as tf.Tensor4D;
        return tf.transpose(model.predict(x), [0, 3, 1, 2]);
      });
      try {
        const data = (await out.data()) as Float32Array;
        return { data: Float32Array.from(data), channels: net.outChannels, height, width };
      } finally {
        out.dispose();
      }
    },
    async dispose(): Promise<void> {
      if (closed) return;
      closed = true;
      model.dispose();
    },
  };
}
