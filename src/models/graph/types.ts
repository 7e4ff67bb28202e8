/**
 * The network IR: a small typed graph of layers, in PyTorch terms (NCHW activations, OIHW
 * weights), whose parameters carry their PyTorch `state_dict` names. Network definitions build
 * it once; every engine (tfjs, ONNX) interprets or lowers the same graph.
 */

export type PadMode = 'reflect' | 'zero';

export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** A value flowing through the graph: the id of the node producing it, and its channel count. */
export interface Value {
  readonly id: string;
  readonly channels: number;
}

interface NodeBase {
  /** Unique within the graph; also the node's output value id. */
  readonly id: string;
}

/** Convolution (cross-correlation, as PyTorch) with explicit padding applied first. */
export interface Conv2dNode extends NodeBase {
  readonly op: 'conv2d';
  readonly x: string;
  readonly weight: string; // [outC, inC, k, k]
  readonly bias: string | null; // [outC]
  readonly inC: number;
  readonly outC: number;
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
  readonly pad: Pads;
  readonly padMode: PadMode;
}

/** PyTorch ConvTranspose2d with symmetric `padding` (cropped from the full output). */
export interface ConvTranspose2dNode extends NodeBase {
  readonly op: 'convTranspose2d';
  readonly x: string;
  readonly weight: string; // [inC, outC, k, k] (PyTorch layout for transposed convs)
  readonly bias: string | null;
  readonly inC: number;
  readonly outC: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
}

/** BatchNorm2d: `<prefix>.{weight,bias,running_mean,running_var,num_batches_tracked}`. */
export interface BatchNormNode extends NodeBase {
  readonly op: 'batchNorm';
  readonly x: string;
  readonly prefix: string;
  readonly channels: number;
  readonly eps: number;
  readonly momentum: number;
}

/**
 * Instance norm, standard form: per sample and channel `(x - mean) / sqrt(var + eps) * scale + shift`,
 * biased variance. The authors' layer adds `scale` where `shift` belongs; the importer maps their
 * checkpoints onto this form by setting shift := scale (see ARCHITECTURE.md).
 */
export interface InstanceNormNode extends NodeBase {
  readonly op: 'instanceNorm';
  readonly x: string;
  readonly prefix: string; // `<prefix>.scale`, `<prefix>.shift`, each [C]
  readonly channels: number;
  readonly eps: number;
}

export interface UnaryNode extends NodeBase {
  readonly op: 'relu' | 'tanh' | 'sigmoid';
  readonly x: string;
}

/** Elementwise a (+|-|*) b. For `mul`, b may be [N, C, 1, 1] (per-channel scaling). */
export interface BinaryNode extends NodeBase {
  readonly op: 'add' | 'sub' | 'mul';
  readonly a: string;
  readonly b: string;
}

/** PixelShuffle in PyTorch channel order: out[c, r*h+i, r*w+j] = in[r*r*c + r*i + j, h, w] (ONNX DepthToSpace CRD). */
export interface PixelShuffleNode extends NodeBase {
  readonly op: 'pixelShuffle';
  readonly x: string;
  readonly factor: number;
}

/** Mean over H and W, giving [N, C, 1, 1]. */
export interface GlobalAvgPoolNode extends NodeBase {
  readonly op: 'globalAvgPool';
  readonly x: string;
}

/** nn.Linear applied to [N, C, 1, 1] as if it were [N, C]: `<weight>` is [outF, inF]. */
export interface LinearNode extends NodeBase {
  readonly op: 'linear';
  readonly x: string;
  readonly weight: string;
  readonly bias: string | null;
  readonly inF: number;
  readonly outF: number;
}

export interface PadNode extends NodeBase {
  readonly op: 'pad';
  readonly x: string;
  readonly mode: PadMode;
  readonly pads: Pads;
}

/** Average pooling without padding. */
export interface AvgPoolNode extends NodeBase {
  readonly op: 'avgPool';
  readonly x: string;
  readonly kernel: number;
  readonly stride: number;
}

export type GraphNode =
  | Conv2dNode
  | ConvTranspose2dNode
  | BatchNormNode
  | InstanceNormNode
  | UnaryNode
  | BinaryNode
  | PixelShuffleNode
  | GlobalAvgPoolNode
  | LinearNode
  | PadNode
  | AvgPoolNode;

export type ParamRole =
  | 'weight'
  | 'bias'
  | 'bn.weight'
  | 'bn.bias'
  | 'bn.running_mean'
  | 'bn.running_var'
  | 'bn.num_batches_tracked'
  | 'in.scale'
  | 'in.shift';

export interface ParamSpec {
  /** The PyTorch state_dict key. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int64';
  readonly role: ParamRole;
  /** Learned by gradient descent (false for running statistics and counters). */
  readonly trainable: boolean;
  /** May be absent in a checkpoint (num_batches_tracked predates PyTorch 0.4.1). */
  readonly optional: boolean;
}

export interface Graph {
  /** Id of the single input value, [N, inChannels, H, W]. */
  readonly input: string;
  readonly inChannels: number;
  /** Nodes in topological order. */
  readonly nodes: readonly GraphNode[];
  readonly output: string;
  readonly outChannels: number;
  readonly params: readonly ParamSpec[];
  /** Keys the reference checkpoints carry but the network never uses (reported, not fatal). */
  readonly unusedKeys: readonly string[];
}

/** The six networks of the paper, defined in src/models/networks. */
export type BuiltinNetworkId = 'durn-p' | 'durn-p-nonorm' | 'durn-u' | 'durn-us' | 'durn-s' | 'durn-s-p';

/**
 * A network's id: one of the six, or one a task plugin defines (registerNetwork). The `string & {}`
 * keeps editor completion for the six while admitting the others.
 */
export type NetworkId = BuiltinNetworkId | (string & {});

export const NETWORK_IDS: readonly BuiltinNetworkId[] = [
  'durn-p',
  'durn-p-nonorm',
  'durn-u',
  'durn-us',
  'durn-s',
  'durn-s-p',
];

/** A network as the rest of durn sees it: the graph plus what callers must know to feed it. */
export interface NetworkDefinition {
  readonly id: NetworkId;
  readonly title: string;
  /** Task the paper trained it for, in words. */
  readonly purpose: string;
  readonly graph: Graph;
  readonly inChannels: number;
  readonly outChannels: number;
  /** Input height and width must be multiples of this (1 or 4). */
  readonly sizeMultiple: number;
  /** Smallest legal height and width (reflection pads must be smaller than the side they pad). */
  readonly minSide: number;
  /**
   * Pixels of context on each side that influence an output pixel, through the convolutions
   * alone. Networks with global pooling or instance norm (`globalStatistics`) see the whole
   * image besides.
   */
  readonly receptiveRadius: number;
  /** Uses statistics over the whole image (instance norm or SE pooling): tiles change results slightly. */
  readonly globalStatistics: boolean;
  /** Multiply-adds per output pixel, convolutions only, as the reference doc counts them. */
  readonly macsPerPixel: number;
}
