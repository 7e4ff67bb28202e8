/** durn as a library. */

export {
  type BuiltInPresetName,
  createRestorer,
  type PresetName,
  type RestoreCallOptions,
  type RestoreInput,
  type Restorer,
  type RestorerOptions,
  restore,
  type TaskName,
} from './api.ts';
export { DurnBugError, type DurnErrorCode, DurnUserError } from './core/errors.ts';
export { VERSION } from './core/version.ts';
export type { Graph, GraphNode, NetworkDefinition, NetworkId, ParamSpec } from './models/graph/types.ts';
export { allNetworks, defineNetwork, getNetwork, registerNetwork } from './models/networks/index.ts';
export {
  importCheckpoint,
  importCheckpointToFile,
  loadWeights,
  saveWeights,
} from './models/weights/index.ts';
export type { RunEvent, RunSummary, WatchEvent } from './pipeline/events.ts';
export type { OutputFormat } from './pipeline/image/types.ts';
export {
  type RestoreOptions,
  type RunController,
  type RunHandle,
  runRestore,
  startRun,
} from './pipeline/run/run.ts';
export { type WatchFolderOptions, type WatchHandle, watchFolder } from './pipeline/watch/index.ts';
export { defineTaskPlugin, degradationsOf } from './plugins/common.ts';
export { installWeights } from './plugins/install.ts';
export { getPlugin, listPlugins, registerPlugin, registerPluginFolder } from './plugins/registry.ts';
export { evaluateModel, NETWORK_DEFAULTS, train, trainingTask } from './plugins/training.ts';
export type { TaskPlugin } from './plugins/types.ts';
export * from './training/index.ts';
