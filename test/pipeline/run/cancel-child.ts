/**
 * Run by cancel.test.ts in its own process (a crash must fail the test, not kill the runner):
 * aborts each library entry point while ONNX Runtime is inside a tile, then exits normally.
 * Prints one JSON line per case.
 */
import { createRestorer, restore, startRun } from '../../../src/index.ts';
import type { RunEvent } from '../../../src/pipeline/events.ts';

const [a, b, c] = process.argv.slice(2) as [string, string, string];
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const codeOf = (e: unknown) => (e as { code?: string }).code ?? String(e);
/** An abort 300 ms after the step starts: the tile is then inside the native run. */
const abortOnStep = (act: () => void) => (e: RunEvent) => {
  if (e.type === 'step-start') setTimeout(act, 300);
};

// A restorer whose session is warm: the abort lands in run(), not in session creation.
const restorer = createRestorer({ task: 'deblur', workers: 1, device: 'cpu' });
await restorer.restore(a, { metadata: false });
const ac = new AbortController();
const r1 = await restorer
  .restore(b, { metadata: false, signal: ac.signal, onProgress: abortOnStep(() => ac.abort()) })
  .then(
    () => 'resolved',
    (e: unknown) => codeOf(e),
  );
await restorer.close();
say({ case: 'restorer', result: r1 });

const ac2 = new AbortController();
const r2 = await restore(b, {
  task: 'deblur',
  workers: 1,
  device: 'cpu',
  signal: ac2.signal,
  onProgress: abortOnStep(() => ac2.abort()),
}).then(
  () => 'resolved',
  (e: unknown) => codeOf(e),
);
say({ case: 'one-shot', result: r2 });

let steps = 0;
const handle = startRun(
  { inputs: [a, b, c], task: 'deblur', workers: 1, device: 'cpu', suffix: '-x' },
  (e) => {
    if (e.type !== 'step-start') return;
    steps += 1;
    if (steps === 1) setTimeout(() => handle.controller.cancelCurrent(), 300);
    if (steps === 2) setTimeout(() => void handle.controller.stop(), 300);
  },
);
const summary = await handle.done;
say({ case: 'run', summary: { done: summary.done, stopped: summary.stopped, cancelled: summary.cancelled } });
