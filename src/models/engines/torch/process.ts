/**
 * One durn_torch.py process, spoken to in frames (frames.ts). Requests are answered in order,
 * one at a time. The child is unref'd and its stdin is its lifeline: when this
 * process exits for any reason (even SIGKILL) the pipe closes and the child exits; it also has
 * PR_SET_PDEATHSIG and a parent-pid watchdog for the time it spends inside a step.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DurnBugError, DurnUserError } from '../../../core/errors.ts';
import { encodeFrame, FrameReader, type NamedArray, type Reply } from './frames.ts';
import { findTorch, type TorchInfo } from './python.ts';

export type { NamedArray, Reply } from './frames.ts';

export const SCRIPT = fileURLToPath(new URL('./durn_torch.py', import.meta.url));

interface Waiter {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}

const live = new Set<TorchProcess>();

export class TorchProcess {
  readonly info: TorchInfo;
  private readonly child: ChildProcess;
  private readonly frames = new FrameReader();
  private readonly waiting: Waiter[] = [];
  private failure: Error | null = null;
  private stderrTail = '';
  private closed = false;

  private constructor(info: TorchInfo, child: ChildProcess) {
    this.info = info;
    this.child = child;
    child.stdout!.on('data', (b: Buffer) => this.onData(b));
    child.stderr!.on('data', (b: Buffer) => {
      this.stderrTail = (this.stderrTail + b.toString('utf8')).slice(-4000);
    });
    child.on('exit', (code, sig) => {
      live.delete(this);
      const tail = this.stderrTail.trim().split('\n').slice(-3).join(' | ');
      this.fail(
        new DurnBugError(
          `the torch engine process exited (${sig ?? `code ${code}`})${tail ? `: ${tail}` : ''}`,
        ),
      );
    });
    child.on('error', (err) => this.fail(err));
    child.stdin!.on('error', () => {}); // EPIPE after the child died: reported through 'exit'
    // Neither the child nor its pipes keep the event loop alive: an idle session must not hold a run open.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr])
      (s as unknown as { unref?: () => void }).unref?.();
  }

  static async start(threads?: number): Promise<TorchProcess> {
    const info = await findTorch();
    if (!existsSync(SCRIPT)) throw new DurnBugError(`the torch engine program is missing: ${SCRIPT}`);
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' };
    if (threads) Object.assign(env, { OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) });
    // Spinning OpenMP threads collapse when cores are shared (measured 0.25 vs 2 patches/s for a
    // DuRN-P train step on a busy 2-core host); sleeping ones cost little on an idle one.
    env.OMP_WAIT_POLICY ??= 'PASSIVE';
    const child = spawn(info.python, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'], env });
    const p = new TorchProcess(info, child);
    live.add(p);
    return p;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }

  private onData(b: Buffer): void {
    for (const { header, arrays } of this.frames.push(b)) {
      const w = this.waiting.shift();
      if (!w) {
        this.fail(new DurnBugError('the torch engine process answered a request nobody made'));
        return;
      }
      if (header.ok === false) {
        const msg = String(header.error);
        w.reject(
          header.oom
            ? new DurnUserError('INVALID_OPTION', `The torch engine ran out of device memory (${msg})`, {
                hint: 'Lower --batch or --patch (training) or the tile size (restore).',
              })
            : new DurnBugError(`the torch engine failed: ${msg}`),
        );
      } else w.resolve({ header, arrays });
    }
  }

  /** Sends one request; answers arrive in request order. */
  request(header: Record<string, unknown>, arrays: readonly NamedArray[] = []): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new DurnBugError('request to a closed torch engine process'));
    const frame = encodeFrame(header, arrays);
    const promise = new Promise<Reply>((resolve, reject) => this.waiting.push({ resolve, reject }));
    // Keep the loop alive while an answer is due (the pipes are unref'd otherwise).
    (this.child.stdout as unknown as { ref?: () => void }).ref?.();
    const stdin = this.child.stdin!;
    for (const part of frame) stdin.write(part);
    return promise.finally(() => {
      if (this.waiting.length === 0) (this.child.stdout as unknown as { unref?: () => void }).unref?.();
    });
  }

  /** Ends the process: asks politely, then closes its stdin (which ends it in any case). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    if (this.failure || this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** Process ids of the torch processes this thread started and has not closed (tests, diagnostics). */
export function liveTorchPids(): number[] {
  return [...live].map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
}
