/**
 * Training on the torch engine: the step (forward, loss, backward, clip, Adam, EMA) runs in a
 * durn_torch.py process on the CPU or a CUDA GPU; batches come from durn's own sampling and
 * degradations in worker threads (BatchFeeder), at most a few steps ahead. The state crosses the
 * pipe only to load, validate-best, checkpoint and export, in the shared flat layout (flat.ts).
 */
import { availableParallelism } from 'node:os';
import { DurnBugError } from '../core/errors.ts';
import { TorchProcess } from '../models/engines/torch/process.ts';
import { checkTorchPrecision, resolveTorchDevice } from '../models/engines/torch/session.ts';
import type { NetworkDefinition } from '../models/graph/types.ts';
import { BatchFeeder } from './batch-feeder.ts';
import type { EngineInfo, EngineStart, EngineState, StepOutcome, TrainEngine } from './engine.ts';
import { type Scores, type ValidationSet, validateWith } from './evaluate.ts';
import type { FlatEntry, FlatLayout } from './flat.ts';
import type { MetricColorSpace } from './metrics.ts';
import { DEFAULT_ADAM } from './optimizer.ts';
import type { Replica } from './replica.ts';

export interface TorchTrainOptions {
  readonly device?: string;
  readonly precision?: 'fp32' | 'bf16';
  /** torch intra-op threads on the CPU (default: all cores). */
  readonly threads?: number;
  /** Batch worker threads (default: all cores but one on a GPU, one on the CPU). Several runs
   * sharing one GPU machine split its cores with this. */
  readonly workers?: number;
}

function entries(def: NetworkDefinition, host: Replica, list: readonly FlatEntry[]) {
  const shapes = new Map(def.graph.params.map((p) => [p.name, p.shape]));
  return list.map((e) => ({
    name: e.name,
    offset: e.offset,
    size: e.size,
    shape: shapes.get(e.name),
    layout: host.model.layoutOf(e.name),
  }));
}

export class TorchTrainEngine implements TrainEngine {
  readonly info: EngineInfo;
  private readonly proc: TorchProcess;
  private readonly feeder: BatchFeeder;
  private readonly steps: number;
  private readonly hasEma: boolean;
  private readonly layout: FlatLayout;
  private wallStart = 0;

  private constructor(proc: TorchProcess, feeder: BatchFeeder, info: EngineInfo, s: EngineStart) {
    this.proc = proc;
    this.feeder = feeder;
    this.info = info;
    this.steps = s.config.steps;
    this.hasEma = s.config.ema !== null;
    this.layout = s.layout;
  }

  static async start(s: EngineStart, o: TorchTrainOptions): Promise<TorchTrainEngine> {
    const proc = await TorchProcess.start(o.threads);
    try {
      const device = resolveTorchDevice(o.device, proc.info);
      const precision = checkTorchPrecision(o.precision, device, proc.info);
      const cuda = device !== 'cpu';
      const threads = o.threads ?? availableParallelism();
      const def = s.def;
      const init = await proc.request({ op: 'init', graph: def.graph, device, precision, threads });
      const c = s.config;
      await proc.request({
        op: 'train_init',
        channels: def.inChannels,
        loss: c.loss,
        clip: c.clip,
        ema: c.ema,
        ...DEFAULT_ADAM,
        trainable: entries(def, s.host, s.layout.trainable),
        buffers: entries(def, s.host, s.layout.buffers),
      });
      // On a GPU the batch workers are the bottleneck: use every core; on the CPU they share it.
      const workers = o.workers ?? (cuda ? Math.max(1, availableParallelism() - 1) : 1);
      const feeder = new BatchFeeder({
        images: s.images,
        spec: s.spec,
        degradationModule: s.degradationModule,
        workers,
        depth: workers + 2,
      });
      const gpu = typeof init.header.gpu === 'string' ? ` (${init.header.gpu})` : '';
      const where = cuda ? `${device}${gpu}` : `cpu (${init.header.threads} threads)`;
      const info: EngineInfo = {
        engine: 'torch',
        description: `torch ${proc.info.torch} ${where}${precision === 'bf16' ? ' bf16' : ''}`,
        device,
        precision,
        torch: proc.info.torch,
        workers,
      };
      return new TorchTrainEngine(proc, feeder, info, s);
    } catch (err) {
      await proc.close();
      throw err;
    }
  }

  async load(st: EngineState): Promise<void> {
    const t = this.layout.trainableSize;
    const arr = (name: string, data: Float32Array) => ({ name, data, shape: [data.length] });
    await this.proc.request({ op: 'set', adamT: st.adamT }, [
      arr('params', st.params),
      arr('buffers', st.buffers),
      arr('adamM', st.adamM),
      arr('adamV', st.adamV),
      ...(this.hasEma ? [arr('ema', st.ema ?? st.params)] : []),
    ]);
    if (st.params.length !== t)
      throw new DurnBugError('state of another layout loaded into the torch engine');
  }

  async step(k: number, lr: number): Promise<StepOutcome> {
    if (this.wallStart === 0) this.wallStart = performance.now();
    const b = await this.feeder.next(k, this.steps);
    const r = await this.proc.request({ op: 'step', lr }, [
      { name: 'x', data: b.input, shape: b.shape },
      { name: 'y', data: b.target, shape: b.shape },
    ]);
    return {
      loss: Number(r.header.loss),
      gradNorm: Number(r.header.gradNorm),
      applied: r.header.applied === true,
    };
  }

  async read(): Promise<EngineState> {
    const r = await this.proc.request({ op: 'get' });
    const get = (name: string) => {
      const a = r.arrays.get(name);
      if (!a) throw new DurnBugError(`the torch engine returned no ${name}`);
      return a.data;
    };
    return {
      params: get('params'),
      buffers: get('buffers'),
      adamM: get('adamM'),
      adamV: get('adamV'),
      adamT: Number(r.header.adamT),
      ema: this.hasEma ? get('ema') : null,
    };
  }

  validate(set: ValidationSet, colorSpace: MetricColorSpace): Promise<Scores> {
    const { size: s, channels: c } = set;
    return validateWith(
      async (input, target, n) => {
        const r = await this.proc.request({ op: 'predict', weights: this.hasEma ? 'ema' : 'params' }, [
          { name: 'x', data: input, shape: [n, s, s, c] },
          { name: 'y', data: target, shape: [n, s, s, c] },
        ]);
        return { pred: r.arrays.get('y')!.data, loss: Number(r.header.loss) };
      },
      set,
      colorSpace,
    );
  }

  dataWait(): number | null {
    if (this.wallStart === 0) return null;
    return this.feeder.waitedMs / (performance.now() - this.wallStart);
  }

  async close(): Promise<void> {
    await Promise.all([this.feeder.close(), this.proc.close()]);
  }
}
