/** The trainer as a library: train, evaluate and install weights (the CLI is a thin layer over these). */
export type { Checkpoint, CheckpointState, ValidationRecord } from './checkpoint.ts';
export { loadCheckpoint } from './checkpoint.ts';
export { NETWORK_DEFAULTS, type TrainConfig, type TrainOptions } from './config.ts';
export {
  type EvalOptions,
  type EvalResult,
  type EvalRow,
  evaluateModel,
  formatEvalTable,
} from './eval-run.ts';
export { formatEvent, type TrainProgress, terminalReporter } from './progress.ts';
export { installWeights } from './setup.ts';
export { type TrainHooks, type TrainResult, train } from './trainer.ts';
