/** Presets: parsing and resolution (preset.ts, pure), loading from folders (load.ts), CLI (cli.ts). */
export { defaultPresetDirs, loadPresets, type PresetDir } from './load.ts';
export {
  type Chain,
  type ChainStep,
  type Preset,
  type PresetCatalog,
  type PresetEntry,
  type PresetFormat,
  type PresetProblem,
  type PresetStep,
  parsePreset,
  presetFileName,
  resolveTaskOrPreset,
} from './preset.ts';
