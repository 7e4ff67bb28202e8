/** Progress events of a training run, and their terminal rendering (one live line on a TTY). */
import type { ValidationRecord } from './checkpoint.ts';
import type { TrainConfig } from './config.ts';

export type TrainProgress =
  | {
      readonly type: 'start';
      readonly config: TrainConfig;
      readonly images: number;
      readonly valImages: number;
      readonly cacheMB: number;
      readonly backend: string;
      readonly workers: number;
      readonly startStep: number;
      readonly notes: readonly string[];
    }
  | {
      readonly type: 'step';
      readonly step: number;
      readonly steps: number;
      readonly loss: number;
      readonly lr: number;
      readonly gradNorm: number;
      readonly patchesPerSecond: number;
      readonly elapsedSeconds: number;
      readonly etaSeconds: number;
      /** Fraction of training wall time spent waiting for batches (torch engine). */
      readonly dataWait?: number;
    }
  | ({ readonly type: 'validation'; readonly isBest: boolean } & ValidationRecord)
  | { readonly type: 'checkpoint'; readonly step: number; readonly path: string };

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0
    ? `${h}h${String(m).padStart(2, '0')}m`
    : m > 0
      ? `${m}m${String(r).padStart(2, '0')}s`
      : `${r}s`;
}

export function formatStep(e: Extract<TrainProgress, { type: 'step' }>): string {
  const pct = ((100 * e.step) / e.steps).toFixed(1);
  return (
    `step ${e.step}/${e.steps} (${pct}%) loss ${e.loss.toPrecision(4)} lr ${e.lr.toExponential(1)} ` +
    `|g| ${e.gradNorm.toPrecision(3)} ${e.patchesPerSecond.toFixed(1)} patches/s ` +
    `elapsed ${formatDuration(e.elapsedSeconds)} eta ${formatDuration(e.etaSeconds)}` +
    (e.dataWait !== undefined ? ` data wait ${(100 * e.dataWait).toFixed(0)}%` : '')
  );
}

export function formatEvent(e: TrainProgress): string {
  switch (e.type) {
    case 'start':
      return (
        `training ${e.config.network} for ${e.config.task} on ${e.images} images (${e.cacheMB.toFixed(0)} MB cached), ` +
        `validating on ${e.valImages}; ${e.workers} worker(s), ${e.backend}` +
        (e.startStep > 0 ? `; resuming at step ${e.startStep}` : '') +
        e.notes.map((n) => `\n  note: ${n}`).join('')
      );
    case 'step':
      return formatStep(e);
    case 'validation':
      return `validation at step ${e.step}: loss ${e.loss.toPrecision(4)} PSNR ${e.psnr.toFixed(2)} dB SSIM ${e.ssim.toFixed(4)}${e.isBest ? ' (best)' : ''}`;
    case 'checkpoint':
      return `checkpoint at step ${e.step}: ${e.path}`;
  }
}

/**
 * Prints events: on a TTY, step lines overwrite one another (throttled) and other events print
 * above them; otherwise every `plainEvery`-th step is a plain line.
 */
export function terminalReporter(
  stream: NodeJS.WriteStream = process.stderr,
  plainEvery = 10,
): (e: TrainProgress) => void {
  const tty = stream.isTTY === true;
  let last = 0;
  let live = false;
  return (e) => {
    if (e.type === 'step') {
      if (tty) {
        const now = Date.now();
        if (now - last < 200 && e.step < e.steps) return;
        last = now;
        const width = stream.columns ?? 120;
        stream.write(`\r\x1b[2K${formatStep(e).slice(0, width - 1)}`);
        live = true;
      } else if (e.step % plainEvery === 0 || e.step === e.steps) {
        stream.write(`${formatStep(e)}\n`);
      }
      return;
    }
    stream.write(`${live ? '\r\x1b[2K' : ''}${formatEvent(e)}\n`);
    live = false;
  };
}
