/**
 * Learning-rate schedules as pure functions of the step, so a resumed run recomputes the exact
 * rate without saved scheduler state. Milestones are fractions of the run, which keeps the authors'
 * schedules (e.g. ×0.1 at epochs 500/1000/1500/2500 of 3000) meaningful for any --steps.
 */
import { z } from 'zod';

export const scheduleSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('step'),
    /** Fractions of the run in (0, 1), increasing, at which the rate is multiplied by `gamma`. */
    milestones: z.array(z.number().gt(0).lt(1)),
    gamma: z.number().gt(0).max(1),
  }),
  z.object({
    kind: z.literal('cosine'),
    /** Rate at the last step, as a fraction of the base rate. */
    minFactor: z.number().min(0).max(1),
  }),
]);
export type Schedule = z.infer<typeof scheduleSchema>;

export interface ScheduleOptions {
  readonly baseLr: number;
  readonly totalSteps: number;
  /** Linear warm-up from 0 over this many steps (0: none). Helps BatchNorm networks from scratch. */
  readonly warmupSteps: number;
  readonly schedule: Schedule;
}

/**
 * Learning rate for 0-based `step` (the update that produces step + 1). `progressFloor` (0–1) lets
 * a run budgeted in time be further along its schedule than its steps say (timeProgress).
 */
export function learningRate(step: number, o: ScheduleOptions, progressFloor = 0): number {
  const total = Math.max(1, o.totalSteps);
  const warm = o.warmupSteps > 0 && step < o.warmupSteps ? (step + 1) / o.warmupSteps : 1;
  const progress = Math.min(1, Math.max(0, progressFloor, step / total));
  let factor: number;
  if (o.schedule.kind === 'step') {
    factor = 1;
    for (const m of o.schedule.milestones) if (progress >= m) factor *= o.schedule.gamma;
  } else {
    // Cosine annealing (Loshchilov & Hutter 2017) without restarts, from 1 to minFactor.
    const min = o.schedule.minFactor;
    factor = min + (1 - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
  }
  return o.baseLr * factor * warm;
}

/**
 * How far a session budgeted in minutes is along the schedule, so that it anneals by its deadline
 * whatever the machine's speed (budgeted training, Li et al. ICLR 2020): the schedule's remaining
 * part, from where the session started (`startStep`), spread over the session's time.
 */
export function timeProgress(
  startStep: number,
  totalSteps: number,
  elapsedMs: number,
  budgetMs: number,
): number {
  const p0 = Math.min(1, startStep / Math.max(1, totalSteps));
  return p0 + (1 - p0) * Math.min(1, Math.max(0, elapsedMs / budgetMs));
}
