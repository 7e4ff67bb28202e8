/**
 * `durn train`, `durn eval` and `durn models install`. Parsing only: the task's plugin is resolved
 * by src/plugins/training.ts, which hands it to the generic trainer (src/training); the library
 * exposes the same calls.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DurnUserError } from '../core/errors.ts';
import { installWeights } from '../plugins/install.ts';
import { evaluateModel, train } from '../plugins/training.ts';
import { formatEvalTable } from '../training/eval-run.ts';
import { formatDuration, terminalReporter } from '../training/progress.ts';

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`Expected an integer but received "${value}"`);
  return n;
}

function num(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`Expected a number but received "${value}"`);
  return n;
}

/** "50" or "30,50,70" (the paper's three levels). */
function sigmas(value: string): number[] {
  return value.split(',').map((v) => num(v.trim()));
}

const BACKENDS = ['auto', 'wasm', 'cpu', 'node', 'node-gpu'];

export function registerTrainCommands(program: Command): void {
  program
    .command('train')
    .description("Fine-tune (or train from scratch) a task's network on your own photos.")
    .argument('[task]', 'task id: denoise, deblur, dehaze, derain, raindrop (the recipe’s with --recipe)')
    .option('--recipe <file>', 'a training recipe (recipes/<plugin>.json); options given beside it win')
    .option('--data <folders...>', 'clean photos (or the targets of --pairs); not needed with --resume')
    .option('--pairs <folder>', 'real degraded photos with the same file names as --data')
    .option('--val <folder>', 'validation photos (default: crops of the training photos)')
    .option('--network <id>', 'network when the task has two: durn-p / gray, durn-p-nonorm / rgb')
    .option('--from <weights>', "'default' (installed weights, the default), 'scratch', or a weights file")
    .option('--steps <n>', 'optimizer steps', int)
    .option('--batch <n>', 'patches per step', int)
    .option('--patch <px>', 'patch side', int)
    .option('--lr <rate>', 'base learning rate (default: the authors’, ÷10 when fine-tuning)', num)
    .addOption(new Option('--schedule <kind>', 'learning-rate schedule').choices(['step', 'cosine']))
    .option('--warmup <n>', 'linear warm-up steps', int)
    .addOption(
      new Option('--loss <kind>', 'training loss (default: the authors’ for the network)').choices([
        'l2',
        'ssim-l1',
        'l1',
      ]),
    )
    .option('--out <file>', 'weights file to write (default: the task’s weights file name here)')
    .option('--resume <checkpoint>', 'continue a run from its checkpoint')
    .option('--checkpoint <file>', 'checkpoint file (default: <out>.ckpt.safetensors)')
    .option('--seed <n>', 'random seed for data and initial weights', int)
    .option('--val-every <n>', 'validate every n steps', int)
    .option('--val-limit <n>', 'validation images', int)
    .option('--val-patch <px>', 'validation crop side', int)
    .option('--checkpoint-every <n>', 'checkpoint every n steps', int)
    .option(
      '--workers <n>',
      'worker threads: gradients (tfjs) or batches (torch; default there: all cores but one on a GPU, one on the CPU)',
      int,
    )
    .option('--threads <n>', 'torch engine on the CPU: intra-op threads (default: all cores)', int)
    .option('--ema <decay>', 'keep an exponential moving average of the weights, e.g. 0.999', num)
    .option('--clip <norm>', 'clip gradients to this global norm', num)
    .option('--sigma <levels>', 'Gaussian noise σ (0–255), one or a list: 50 or 30,50,70', sigmas)
    .option('--limit <n>', 'use at most n training photos', int)
    .option('--overwrite', 'replace an existing --out file')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKENDS).default('wasm'))
    .addOption(
      new Option('--engine <name>', 'training engine (auto: torch on CUDA, torch on the CPU, then tfjs)')
        .choices(['auto', 'tfjs', 'torch'])
        .default('auto'),
    )
    .option('--device <device>', 'torch engine: auto, cpu, cuda or cuda:N', 'auto')
    .addOption(
      new Option(
        '--precision <p>',
        'torch engine: fp32 or bf16 autocast (CUDA, or a CPU with AVX-512 BF16/AMX)',
      ).choices(['fp32', 'bf16']),
    )
    .option('--minutes <n>', 'stop cleanly after n minutes of training (checkpoint and weights)', num)
    .option(
      '--schedule-by-time',
      'with --minutes: the learning-rate schedule runs its course in those minutes (for a time budget on unknown hardware)',
    )
    .action(async (task: string | undefined, opts: Record<string, unknown>) => {
      if (task === undefined && opts.recipe === undefined) {
        throw new DurnUserError('INVALID_OPTION', 'durn train needs a task or --recipe <file>', {
          hint: 'e.g. durn train --recipe recipes/raindrop.json, or durn train denoise --data photos/',
        });
      }
      // One folder stays a string, so runs and checkpoints read as before.
      if (Array.isArray(opts.data) && opts.data.length === 1) opts.data = opts.data[0];
      const controller = new AbortController();
      const onSigint = () => {
        if (controller.signal.aborted) process.exit(130); // second Ctrl-C: stop now
        process.stderr.write(
          '\nstopping after this step and saving a checkpoint (Ctrl-C again to quit now)\n',
        );
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        const r = await train({ task, ...(opts as object) } as Parameters<typeof train>[0], {
          onProgress: terminalReporter(),
          signal: controller.signal,
        });
        const best = r.best
          ? `best validation PSNR ${r.best.psnr.toFixed(2)} dB, SSIM ${r.best.ssim.toFixed(4)} at step ${r.best.step}`
          : '';
        console.log(
          `wrote ${r.weightsPath} after ${r.step} steps in ${formatDuration(r.wallSeconds)}` +
            // A run ended at its checkpoint trains nothing in this process: no throughput to show.
            `${r.patchesPerSecond > 0 ? ` (${r.patchesPerSecond.toFixed(1)} patches/s)` : ''}${best ? `; ${best}` : ''}\n` +
            `engine ${r.engine.description}${r.dataWait !== null ? `, waited for data ${(100 * r.dataWait).toFixed(1)}% of the time` : ''}` +
            `${r.stoppedEarly ? ` (stopped by --minutes at step ${r.step} of ${r.config.steps})` : ''}\n` +
            `use it with \`durn restore <photos> --task ${r.config.task} --weights ${r.weightsPath}\` or install it with \`durn models install ${r.weightsPath}\``,
        );
      } catch (err) {
        if (err instanceof DurnUserError && err.code === 'ABORTED') process.exitCode = 130;
        throw err;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });

  program
    .command('eval')
    .description(
      'PSNR/SSIM of the network against the degraded input and a classical baseline, on whole images, and of the network on the clean photos.',
    )
    .argument('<task>', 'task id')
    .requiredOption('--data <folder>', 'clean photos')
    .option('--pairs <folder>', 'real degraded photos with the same names (default: synthetic degradation)')
    .option('--weights <file>', 'weights file (default: the installed weights)')
    .option('--network <id>', 'network when the task has two')
    .option('--sigma <levels>', 'Gaussian noise σ (0–255), one pass per level (default: 30,50,70)', sigmas)
    .option('--limit <n>', 'evaluate the first n photos', int)
    .option(
      '--degradation <name>',
      'synthetic degradation: an evaluation or degradation name, e.g. camera-noise (colour denoising default: camera-pipeline-noise)',
    )
    .addOption(
      new Option('--engine <name>', 'inference engine (auto: onnx when it loads)')
        .choices(['auto', 'onnx', 'tfjs', 'torch'])
        .default('auto'),
    )
    .option('--threads <n>', 'ONNX threads (default: all cores)', int)
    .addOption(
      new Option('--backend <name>', 'tfjs backend (with --engine tfjs)').choices(BACKENDS).default('wasm'),
    )
    .action(async (task: string, opts: Record<string, unknown>) => {
      const tty = process.stderr.isTTY === true;
      const r = await evaluateModel(
        { task, ...(opts as object) } as Parameters<typeof evaluateModel>[0],
        (done, total) => {
          if (tty) process.stderr.write(`\r\x1b[2Kimage ${done}/${total}${done === total ? '\n' : ''}`);
        },
      );
      console.log(formatEvalTable(r));
    });

  // Under the existing `models` command when there is one, else as `durn train-install`.
  const models = program.commands.find((c) => c.name() === 'models');
  (models ? models.command('install') : program.command('train-install'))
    .description("Install a weights file into the user models folder as the task's default weights.")
    .argument('<file>', 'a durn weights file (.safetensors)')
    .option('--task <id>', 'task id (default: the task the file names)')
    .option('--overwrite', 'replace weights already installed for that task and network')
    .action(async (file: string, opts: { task?: string; overwrite?: boolean }) => {
      const target = await installWeights(file, opts.task, { overwrite: opts.overwrite === true });
      console.log(`installed ${file} as ${target}`);
    });
}
