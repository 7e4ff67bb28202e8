/**
 * The generic trainer as a library: train and evaluate a network of a task described by a
 * TrainingTask. `train`/`evaluateModel` by task id are in src/plugins/training.ts.
 */
export { type Baseline, gaussianBaseline, medianBaseline } from './baselines.ts';
export type { Checkpoint, CheckpointState, ValidationRecord } from './checkpoint.ts';
export { loadCheckpoint } from './checkpoint.ts';
export type {
  NetworkTrainingDefaults,
  TrainConfig,
  TrainingHyperparameters,
  TrainOptions,
} from './config.ts';
export { type Degradation, registerDegradation } from './degradations/index.ts';
export {
  type EvalOptions,
  type EvalResult,
  type EvalRow,
  evaluateNetwork,
  formatEvalTable,
} from './eval-run.ts';
export { formatEvent, type TrainProgress, terminalReporter } from './progress.ts';
export type { TrainingRecipe, TrainingTask } from './recipe.ts';
export { type TrainHooks, type TrainResult, trainNetwork } from './trainer.ts';
