/** Messages between the tile pool and its worker threads. Tile buffers are transferred, not copied. */
import type { DeviceChoice, DeviceMemory, EngineChoice, Precision } from '../../models/engines/types.ts';
import type { GraphStatistics } from '../../models/graph/statistics.ts';
import type { NetworkDefinition, NetworkId } from '../../models/graph/types.ts';

export interface SessionKey {
  readonly network: NetworkId;
  readonly weightsPath: string;
  readonly engine: EngineChoice;
  readonly device: DeviceChoice;
  readonly threads: number;
  readonly precision?: Precision;
}

export interface TileTask {
  readonly session: SessionKey;
  readonly data: Float32Array;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** A network a plugin defines (not one of the six): its definition, registered in the worker. */
  readonly definition?: NetworkDefinition;
  /** 'run' (default): the network's output; 'collect': its statistics (graph/statistics.ts). */
  readonly kind?: 'run' | 'collect';
  /** Frozen statistics for a 'run' (cloned, small: a few vectors per layer). */
  readonly statistics?: GraphStatistics;
  /**
   * The worker drops its sessions of this network with other thread counts first: large tiles run
   * with every thread, and an idle session would keep its arena (its largest tile's memory).
   */
  readonly sole?: boolean;
}

export interface StatisticsResult {
  readonly statistics: GraphStatistics;
  readonly engine: string;
  readonly notices: readonly string[];
}

export interface TileResult {
  readonly data: Float32Array;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** The session's own description, e.g. "onnx cpu (1 thread)". */
  readonly engine: string;
  /** Notices the engine raised while opening (e.g. a CUDA fallback), reported once by the pool. */
  readonly notices: readonly string[];
  /** The GPU's memory after the run, when the engine reports it (torch on CUDA). */
  readonly deviceMemory?: DeviceMemory;
}

/** A DurnUserError crossing the thread boundary (structured clone keeps only plain fields). */
export interface SerializedError {
  readonly durnUserError: true;
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}
