/** `durn models …`: list networks, import PyTorch checkpoints, inspect weight files. */
import type { Command } from 'commander';
import { allNetworks } from './networks/index.ts';

export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('List networks and manage weight files.');
  models
    .command('list')
    .description('List the six DuRN networks with their sizes and costs.')
    .action(() => {
      for (const n of allNetworks()) {
        const params = n.graph.params
          .filter((p) => p.trainable)
          .reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
        console.log(
          `${n.id.padEnd(14)} ${n.title.padEnd(20)} ${n.purpose.padEnd(26)} ${(params / 1e6).toFixed(2)} M params, ` +
            `${(n.macsPerPixel / 1e6).toFixed(2)} M MAC/pixel, sides multiple of ${n.sizeMultiple}`,
        );
      }
    });
}
