/**
 * The slice of onnxruntime-node's API that durn uses, declared here so that durn builds and type-checks
 * whether or not the optional native package installed (its postinstall can fail offline, and npm then
 * removes it). Shapes follow onnxruntime-common 1.x.
 */

export interface OrtTensor {
  readonly dims: readonly number[];
  readonly type: string;
  readonly data: Float32Array | Int32Array | BigInt64Array | Uint8Array | unknown;
}

export interface OrtTensorConstructor {
  new (type: 'float32', data: Float32Array, dims: readonly number[]): OrtTensor;
}

export interface OrtSessionOptions {
  executionProviders?: readonly string[];
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  executionMode?: 'sequential' | 'parallel';
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

export interface OrtInferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly { name: string; shape?: readonly (number | string)[] }[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

export interface Ort {
  readonly InferenceSession: {
    create(model: Uint8Array, options?: OrtSessionOptions): Promise<OrtInferenceSession>;
  };
  readonly Tensor: OrtTensorConstructor;
  listSupportedBackends(): readonly { name: string; bundled: boolean }[];
  readonly env?: { readonly versions?: Record<string, string | undefined> };
}
