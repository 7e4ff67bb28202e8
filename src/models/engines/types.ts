/** What every inference engine offers the pipeline: run one image through a network. */
import type { GraphStatistics } from '../graph/statistics.ts';
import type { NetworkDefinition } from '../graph/types.ts';
import type { StateDict } from '../weights/types.ts';

/** One image, planar CHW float32 (values nominally in [0, 1]), as the networks see it. */
export interface ImageTensor {
  readonly data: Float32Array;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

export type EngineName = 'onnx' | 'tfjs' | 'torch';
export type EngineChoice = 'auto' | EngineName;
/** `cuda:N` picks a GPU (torch engine; ONNX uses its default CUDA device). */
export type DeviceChoice = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;
/** torch engine arithmetic: bf16 autocast (CUDA, or a CPU with native bf16), or float32 (TF32 matmuls on CUDA). */
export type Precision = 'fp32' | 'bf16';

export interface SessionOptions {
  readonly network: NetworkDefinition;
  readonly weights: StateDict;
  /** Intra-op threads (ONNX); 1 suits a worker pool, all cores a single run. */
  readonly threads?: number;
  readonly device?: DeviceChoice;
  /** torch engine on CUDA only; fp32 (default) keeps parity with the other engines. */
  readonly precision?: Precision;
}

export interface RunOptions {
  /**
   * Frozen statistics: every statistic node uses these (from `collectStatistics` on the whole image
   * or a downscaled copy) instead of computing them from `input`, so tiles normalise alike.
   */
  readonly statistics?: GraphStatistics;
}

export interface InferenceSession {
  readonly engine: EngineName;
  /** e.g. "onnx cpu (2 threads)", "tfjs wasm". */
  readonly description: string;
  /**
   * Runs the network on one image whose sides are multiples of `network.sizeMultiple` and at
   * least `network.minSide`; returns an image of the same size with `network.outChannels` channels.
   */
  run(input: ImageTensor, options?: RunOptions): Promise<ImageTensor>;
  /**
   * Runs the network on `input` and returns the statistics of its statistic nodes (instance norms,
   * global pools; see graph/statistics.ts), as computed from `input`. Networks without such nodes
   * return an empty object.
   */
  collectStatistics(input: ImageTensor): Promise<GraphStatistics>;
  /**
   * Memory free on the session's GPU as last seen (after opening, then after each run), for
   * engines that can tell (torch on CUDA); absent for CPU sessions and engines that cannot.
   */
  deviceMemory?(): DeviceMemory | undefined;
  dispose(): Promise<void>;
}

/** A GPU's memory as its engine reports it, in bytes. */
export interface DeviceMemory {
  readonly freeBytes: number;
  readonly totalBytes: number;
}
