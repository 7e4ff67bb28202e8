/**
 * What the task screen offers: every preset (built-in and user) and every single task, each with
 * its steps, the network each step uses and whether the weights are there. Read once when the
 * set-up starts; the screens only render this data.
 */
import { getNetwork } from '../../models/networks/index.ts';
import { loadPresets } from '../../pipeline/presets/index.ts';
import { getPlugin, listPlugins } from '../../plugins/registry.ts';
import type { TaskPlugin } from '../../plugins/types.ts';
import { weightsStatus } from '../../plugins/weights-path.ts';

export interface ChoiceStep {
  readonly task: string;
  readonly title: string;
  /** Network titles, e.g. "DuRN-P (grey) / DuRN-P without norm (colour)". */
  readonly networks: string;
  readonly weights: 'present' | 'partial' | 'missing';
}

export interface Choice {
  readonly kind: 'preset' | 'task';
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly steps: readonly ChoiceStep[];
  readonly weights: 'present' | 'partial' | 'missing';
}

export interface Catalog {
  readonly choices: readonly Choice[];
  /** Preset files that failed to load, shown as notices. */
  readonly problems: readonly string[];
}

function stepOf(plugin: TaskPlugin): ChoiceStep {
  const status = weightsStatus(plugin);
  const present = status.filter((s) => s.present).length;
  const networks = plugin.networks
    .map((n) => {
      const which =
        plugin.networks.length > 1
          ? plugin.networkFor({ channels: 1 }) === n
            ? ' (grey)'
            : ' (colour)'
          : '';
      return `${getNetwork(n).title}${which}`;
    })
    .join(' / ');
  return {
    task: plugin.id,
    title: plugin.title,
    networks,
    weights: present === status.length ? 'present' : present === 0 ? 'missing' : 'partial',
  };
}

export function combineWeights(steps: readonly ChoiceStep[]): Choice['weights'] {
  if (steps.every((s) => s.weights === 'present')) return 'present';
  if (steps.some((s) => s.weights === 'missing')) return 'missing';
  return 'partial';
}

/** Multi-step presets first (they are what most photos need), then each task on its own. */
export function loadCatalog(): Catalog {
  const steps = new Map(listPlugins().map((p) => [p.id, stepOf(p)]));
  const presets: Choice[] = [];
  const catalog = loadPresets();
  for (const entry of catalog.presets.values()) {
    const { preset } = entry;
    // A preset that is one task with default options is the task itself; listing it twice confuses.
    if (preset.steps.length === 1 && preset.name === preset.steps[0]!.task) continue;
    const chain = preset.steps.map((s) => steps.get(s.task) ?? stepOf(getPlugin(s.task)));
    presets.push({
      kind: 'preset',
      id: preset.name,
      title: preset.name,
      description: preset.description,
      steps: chain,
      weights: combineWeights(chain),
    });
  }
  presets.sort((a, b) => a.id.localeCompare(b.id));
  const tasks: Choice[] = listPlugins().map((p) => {
    const step = steps.get(p.id)!;
    return {
      kind: 'task',
      id: p.id,
      title: p.title,
      description: p.description,
      steps: [step],
      weights: step.weights,
    };
  });
  return {
    choices: [...presets, ...tasks],
    problems: catalog.problems.map((p) => `preset ${p.name} (${p.file}) was not loaded: ${p.error.message}`),
  };
}
