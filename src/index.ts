/** durn as a library. */
export { DurnBugError, DurnUserError } from './errors.ts';
export type { Graph, GraphNode, NetworkDefinition, NetworkId, ParamSpec } from './models/graph/types.ts';
export { allNetworks, getNetwork } from './models/networks/index.ts';
export { VERSION } from './version.ts';
