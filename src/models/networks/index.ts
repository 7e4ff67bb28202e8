/** The registry of the six networks: each defined once, with what callers must know to feed it. */
import { DurnUserError, expected } from '../../core/errors.ts';
import { minimumSide } from '../graph/analysis.ts';
import type { Graph, NetworkDefinition, NetworkId } from '../graph/types.ts';
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
const ENTRIES: Record<NetworkId, Entry> = {
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

export function isNetworkId(id: unknown): id is NetworkId {
  return typeof id === 'string' && (NETWORK_IDS as readonly string[]).includes(id);
}

export function getNetwork(id: string): NetworkDefinition {
  if (!isNetworkId(id)) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(`one of ${NETWORK_IDS.join(', ')}`, 'the network id', id),
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
