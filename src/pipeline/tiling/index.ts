/** Tiling: geometry (plan.ts), tensor helpers (tensor.ts), feathered stitching (stitch.ts). All pure. */
export type { AxisPlan, Rect, Tile, TilePlan, TilePlanInput } from './plan.ts';
export { blendFor, planInputFor, planTiles } from './plan.ts';
export type { StitcherOptions } from './stitch.ts';
export { featherProfiles, featherWeights, Stitcher } from './stitch.ts';
export { cropTile, padReflect, reflectIndex, tileInput, unpad } from './tensor.ts';
