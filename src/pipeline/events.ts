/**
 * The events a restoration run emits. The CLI's plain/JSON output, the terminal UI's reducer and
 * the watch folder all consume this one stream; nothing else reaches into the pipeline.
 */

export interface StepInfo {
  readonly task: string;
  readonly network: string;
}

export interface RunSummary {
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
  readonly seconds: number;
  readonly megapixels: number;
  readonly failures: readonly { file: string; error: string }[];
  /**
   * The engine that ran the tiles, e.g. "onnx cpu (2 threads)": `run-start` only knows the choice
   * ('auto'), and what 'auto' became is what users need to know. Absent when no tile ran.
   */
  readonly engine?: string;
  /** The run was stopped before every file was taken (stop(), Ctrl-C, `q`). */
  readonly stopped?: boolean;
  /** Files whose restoration was cancelled (cancelCurrent(), `c`): skipped, not restored. */
  readonly cancelled?: number;
}

export type RunEvent =
  | { readonly type: 'run-start'; readonly files: number; readonly chain: string; readonly engine: string }
  | { readonly type: 'file-queued'; readonly file: string }
  | {
      readonly type: 'file-start';
      readonly file: string;
      readonly width: number;
      readonly height: number;
      readonly steps: readonly StepInfo[];
    }
  | {
      readonly type: 'step-start';
      readonly file: string;
      readonly step: number;
      readonly task: string;
      readonly network: string;
      readonly tiles: number;
      /** Tile side (input pixels, context included; the image's longer side for one tile). */
      readonly tile?: number;
      /** How the tile size was chosen, in words ("--tile", "whole image, …", "… a tile × 2 workers"). */
      readonly tileReason?: string;
      /**
       * Set when tiles run with frozen whole-image statistics: the scale of the image they were
       * collected from (1: the image itself, 0.5: a copy shrunk 2×).
       */
      readonly statisticsScale?: number;
    }
  | {
      readonly type: 'tile-done';
      readonly file: string;
      readonly step: number;
      readonly done: number;
      readonly total: number;
    }
  | { readonly type: 'step-done'; readonly file: string; readonly step: number; readonly seconds: number }
  | {
      readonly type: 'file-done';
      readonly file: string;
      readonly output: string;
      readonly seconds: number;
      readonly megapixels: number;
      readonly bytesIn: number;
      readonly bytesOut: number;
      /** The queue worker that restored it (distributed mode). */
      readonly worker?: string;
    }
  | {
      readonly type: 'file-failed';
      readonly file: string;
      readonly error: string;
      readonly code: string;
      readonly hint?: string;
    }
  | { readonly type: 'file-skipped'; readonly file: string; readonly reason: string }
  | { readonly type: 'notice'; readonly message: string }
  | { readonly type: 'run-done'; readonly summary: RunSummary };

export type RunEventListener = (event: RunEvent) => void;

/** What the watch folder adds to the run events. */
export type WatchEvent =
  | {
      readonly type: 'watch-start';
      readonly folder: string;
      readonly out: string;
      readonly recovered: number;
    }
  | { readonly type: 'watch-queue'; readonly depth: number; readonly settling: number }
  | { readonly type: 'ledger'; readonly done: number; readonly failed: number; readonly pending: number }
  | { readonly type: 'watch-retry'; readonly file: string; readonly attempt: number; readonly error: string }
  | { readonly type: 'watch-stop' };

export type WatchListener = (event: RunEvent | WatchEvent) => void;

/**
 * The exit status a run ends with: 130 when it was interrupted (stopped, or a file cancelled), so
 * `durn restore … && rm originals` cannot go ahead; 1 when a file failed; 0 when all were restored
 * or skipped as already done.
 */
export function exitStatus(summary: RunSummary): number {
  if (summary.stopped || (summary.cancelled ?? 0) > 0) return 130;
  return summary.failed > 0 ? 1 : 0;
}
