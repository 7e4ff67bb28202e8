/**
 * The registry of networks: the paper's six, each defined once, with what callers must know to feed
 * it; plus the networks task plugins define themselves (registerNetwork), looked up the same way.
 */
import { DurnBugError, DurnUserError, expected } from '../../core/errors.ts';
import { minimumSide } from '../graph/analysis.ts';
import type { BuiltinNetworkId, Graph, NetworkDefinition, NetworkId } from '../graph/types.ts';
import { NETWORK_IDS } from '../graph/types.ts';
import { plainDurn } from './durn-p.ts';
import { durnSP } from './durn-s-p.ts';
import { durnU } from './durn-u.ts';

interface Entry {
  title: string;
  purpose: string;
  build: () => Graph;
  sizeMultiple: number;
  receptiveRadius: number;
  macsPerPixel: number;
}

// receptiveRadius and macsPerPixel are declared here and checked against the graphs by tests
// (macsPerPixel also against the reference doc).
const ENTRIES: Record<BuiltinNetworkId, Entry> = {
  'durn-p': {
    title: 'DuRN-P',
    purpose: 'Gaussian noise, grayscale',
    build: () => plainDurn({ channels: 1, width: 32, norm: 'bn' }),
    sizeMultiple: 1,
    receptiveRadius: 70,
    macsPerPixel: 813_632,
  },
  'durn-p-nonorm': {
    title: 'DuRN-P without norm',
    purpose: 'real-world noise, RGB',
    build: () => plainDurn({ channels: 3, width: 32, norm: 'none' }),
    sizeMultiple: 1,
    receptiveRadius: 70,
    macsPerPixel: 814_784,
  },
  'durn-u': {
    title: 'DuRN-U',
    purpose: 'motion blur',
    build: () => durnU('U'),
    sizeMultiple: 4,
    receptiveRadius: 104,
    macsPerPixel: 1_362_304,
  },
  'durn-us': {
    title: 'DuRN-US',
    purpose: 'haze',
    build: () => durnU('US'),
    sizeMultiple: 4,
    receptiveRadius: 334,
    macsPerPixel: 1_680_000,
  },
  'durn-s': {
    title: 'DuRN-S',
    purpose: 'rain streaks',
    build: () => plainDurn({ channels: 3, width: 64, norm: 'bn', se: { hidden: 32 } }),
    sizeMultiple: 1,
    receptiveRadius: 82,
    macsPerPixel: 3_698_048,
  },
  'durn-s-p': {
    title: 'DuRN-S-P',
    purpose: 'raindrops',
    build: durnSP,
    sizeMultiple: 4,
    receptiveRadius: 346,
    macsPerPixel: 706_582,
  },
};

const cache = new Map<NetworkId, NetworkDefinition>();
const registered = new Map<string, NetworkDefinition>();

/** One of the paper's six networks. */
export function isBuiltinNetwork(id: unknown): id is BuiltinNetworkId {
  return typeof id === 'string' && (NETWORK_IDS as readonly string[]).includes(id);
}

/** A network getNetwork knows: one of the six or a registered one. */
export function isNetworkId(id: unknown): id is NetworkId {
  return isBuiltinNetwork(id) || (typeof id === 'string' && registered.has(id));
}

/** Every id getNetwork knows, the six first. */
export function networkIds(): NetworkId[] {
  return [...NETWORK_IDS, ...registered.keys()];
}

/**
 * Makes a network defined outside this folder (by a task plugin) known to getNetwork in this
 * thread. Worker threads get the definition itself (it is plain data) and register it there.
 */
export function registerNetwork(def: NetworkDefinition): void {
  if (isBuiltinNetwork(def.id)) {
    throw new DurnBugError(`the network id ${def.id} is one of the built-in networks`);
  }
  registered.set(def.id, def);
}

/** Builds a definition from a graph (for networks defined outside this folder), measuring what it can. */
export function defineNetwork(d: {
  id: string;
  title: string;
  purpose: string;
  graph: Graph;
  sizeMultiple?: number;
  receptiveRadius: number;
  macsPerPixel: number;
}): NetworkDefinition {
  const sizeMultiple = d.sizeMultiple ?? 1;
  return {
    id: d.id,
    title: d.title,
    purpose: d.purpose,
    graph: d.graph,
    inChannels: d.graph.inChannels,
    outChannels: d.graph.outChannels,
    sizeMultiple,
    minSide: minimumSide(d.graph, sizeMultiple),
    receptiveRadius: d.receptiveRadius,
    globalStatistics: d.graph.nodes.some((n) => n.op === 'globalAvgPool' || n.op === 'instanceNorm'),
    macsPerPixel: d.macsPerPixel,
  };
}

export function getNetwork(id: string): NetworkDefinition {
  const extra = registered.get(id);
  if (extra) return extra;
  if (!isBuiltinNetwork(id)) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(`one of ${networkIds().join(', ')}`, 'the network id', id),
    );
  }
  let def = cache.get(id);
  if (!def) {
    const e = ENTRIES[id];
    const graph = e.build();
    def = {
      id,
      title: e.title,
      purpose: e.purpose,
      graph,
      inChannels: graph.inChannels,
      outChannels: graph.outChannels,
      sizeMultiple: e.sizeMultiple,
      minSide: minimumSide(graph, e.sizeMultiple),
      receptiveRadius: e.receptiveRadius,
      globalStatistics: graph.nodes.some((n) => n.op === 'globalAvgPool' || n.op === 'instanceNorm'),
      macsPerPixel: e.macsPerPixel,
    };
    cache.set(id, def);
  }
  return def;
}

export function allNetworks(): NetworkDefinition[] {
  return NETWORK_IDS.map(getNetwork);
}
