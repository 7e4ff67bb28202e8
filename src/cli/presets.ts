/** `durn presets list` and `durn presets show <name>`: presets, their steps, networks and weights. */
import type { Command } from 'commander';
import { formatError } from '../core/errors.ts';
import { getNetwork } from '../models/networks/index.ts';
import { loadPresets } from '../pipeline/presets/load.ts';
import { type PresetEntry, resolveTaskOrPreset } from '../pipeline/presets/preset.ts';
import { getPlugin } from '../plugins/registry.ts';
import type { TaskPlugin } from '../plugins/types.ts';
import { type WeightsStatus, weightsStatus } from '../plugins/weights-path.ts';

type Print = (line: string) => void;

export function registerPresetCommands(program: Command): void {
  const presets = program
    .command('presets')
    .description('List and inspect presets (chains of restoration tasks).');
  presets
    .command('list')
    .description('List built-in and user presets with their steps and whether their weights are present.')
    .action(() => listPresets(console.log));
  presets
    .command('show')
    .argument('<name>', 'preset name')
    .description('Show a preset: its steps, options, networks, tiling and weights files.')
    .action((name: string) => showPreset(name, console.log));
}

/** Network label per photo type: `durn-p (grey), durn-p-nonorm (colour)` or just `durn-u`. */
function networksByPhoto(plugin: TaskPlugin): { network: string; label: string }[] {
  const grey = plugin.networkFor({ channels: 1 });
  const colour = plugin.networkFor({ channels: 3 });
  if (grey === colour) return [{ network: colour, label: colour }];
  return [
    { network: grey, label: `${grey} (grey)` },
    { network: colour, label: `${colour} (colour)` },
  ];
}

function weightsWord(s: WeightsStatus | undefined): string {
  return s?.present ? 'weights present' : 'weights MISSING';
}

export function listPresets(print: Print): void {
  const catalog = loadPresets();
  // Single tasks first, in the tasks' order, then chains by name.
  const rank = (e: PresetEntry) =>
    e.preset.steps.length === 1 ? getPlugin(e.preset.steps[0]!.task).order : 1000;
  const entries = [...catalog.presets.values()].sort(
    (a, b) => rank(a) - rank(b) || a.preset.name.localeCompare(b.preset.name),
  );
  const width = Math.max(0, ...entries.map((e) => e.preset.name.length));
  for (const entry of entries) {
    const origin =
      entry.origin === 'user' ? (entry.overrides ? ' [user, overrides built-in]' : ' [user]') : '';
    print(`${entry.preset.name.padEnd(width)}  ${entry.preset.description}${origin}`);
    entry.preset.steps.forEach((step, i) => {
      const plugin = getPlugin(step.task);
      const status = weightsStatus(plugin);
      const nets = networksByPhoto(plugin)
        .map((n) => `${n.label}: ${weightsWord(status.find((s) => s.network === n.network))}`)
        .join('; ');
      print(`${' '.repeat(width)}  ${i + 1}. ${step.task.padEnd(9)} ${nets}`);
    });
  }
  for (const p of catalog.problems) print(`warning: ${formatError(p.error)}`);
  if (
    entries.some((e) => e.preset.steps.some((s) => weightsStatus(getPlugin(s.task)).some((s) => !s.present)))
  ) {
    print(
      'Missing weights: run `durn presets show <name>` to see where they are looked for and how to get them.',
    );
  }
}

export function showPreset(name: string, print: Print): void {
  const catalog = loadPresets();
  const chain = resolveTaskOrPreset({ preset: name }, catalog);
  const entry = catalog.presets.get(name)!;
  print(`${chain.name}: ${chain.description}`);
  print(
    `  file: ${entry.file}${entry.overrides ? ` (user preset, overrides the built-in ${entry.overrides})` : ''}`,
  );
  chain.steps.forEach((step, i) => {
    const { plugin, options } = step;
    print(`  ${i + 1}. ${plugin.id} (${plugin.title}): ${plugin.description}`);
    print(`     options: ${JSON.stringify(options)}`);
    print(`     channels: ${plugin.channels.note}`);
    const status = weightsStatus(plugin);
    for (const { network, label } of networksByPhoto(plugin)) {
      const def = getNetwork(network);
      const tiling = plugin.tiling[def.id];
      print(`     network ${label}: ${def.title}, ${def.purpose}`);
      if (tiling) print(`       tiles: ${tiling.tile} px, overlap ${tiling.overlap} px (${tiling.note})`);
      const s = status.find((x) => x.network === network);
      if (s?.present) {
        print(`       weights: ${s.path} (${s.source})`);
      } else if (s) {
        print(`       weights: MISSING ${s.file}; looked in:`);
        for (const p of s.searched) print(`         ${p}`);
        print(
          `       get them: durn train ${plugin.id} --data <folder>, or ` +
            `durn models import <file.pt> --arch ${network} --out ${s.searched[0]}`,
        );
      }
    }
  });
}
