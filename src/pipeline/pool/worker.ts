/**
 * A tile worker: holds one inference session per (network, weights, engine, device, threads) and
 * runs tiles through it. Runs in a worker thread under piscina; tile buffers arrive and leave by
 * transfer.
 */
import { DurnUserError } from '../../core/errors.ts';
import { release } from '../../core/memory.ts';
import { createSession } from '../../models/engines/index.ts';
import type { InferenceSession } from '../../models/engines/types.ts';
import { getNetwork, isNetworkId, registerNetwork } from '../../models/networks/index.ts';
import { loadWeights } from '../../models/weights/index.ts';
import type { SerializedError, SessionKey, StatisticsResult, TileResult, TileTask } from './protocol.ts';
import { moveWith } from './transfer.ts';

interface Open {
  session: InferenceSession;
  notices: string[];
}

const sessions = new Map<string, Promise<Open>>();

async function open(key: SessionKey): Promise<Open> {
  const network = getNetwork(key.network);
  const weights = await loadWeights(key.weightsPath, key.network);
  const notices: string[] = [];
  const session = await createSession({
    network,
    weights: weights.tensors,
    engine: key.engine,
    device: key.device,
    threads: key.threads,
    ...(key.precision ? { precision: key.precision } : {}),
    onNotice: (message: string) => notices.push(message),
  });
  return { session, notices };
}

/** The session's key without its thread count. */
const family = (key: SessionKey) => JSON.stringify({ ...key, threads: 0 });

function sessionFor(key: SessionKey, sole: boolean): Promise<Open> {
  const id = JSON.stringify(key);
  // A session keeps its largest tile's memory (ONNX Runtime's arena): for a sole session, the same
  // network's sessions with other thread counts go. No run is in flight here (one task a worker).
  if (sole) {
    for (const [other, open] of sessions) {
      if (other === id || family(JSON.parse(other) as SessionKey) !== family(key)) continue;
      sessions.delete(other);
      void open.then((o) => o.session.dispose()).catch(() => {});
    }
  }
  let s = sessions.get(id);
  if (!s) {
    s = open(key);
    // A failed open is not cached: the next tile retries (e.g. after the user fixed a file).
    s.catch(() => sessions.delete(id));
    sessions.set(id, s);
  }
  return s;
}

export default async function runTile(task: TileTask): Promise<TileResult | StatisticsResult> {
  try {
    if (task.definition && !isNetworkId(task.definition.id)) registerNetwork(task.definition);
    const { session, notices } = await sessionFor(task.session, task.sole === true);
    const input = { data: task.data, channels: task.channels, height: task.height, width: task.width };
    if (task.kind === 'collect') {
      const statistics = await session.collectStatistics(input);
      release(task.data);
      return { statistics, engine: session.description, notices: notices.splice(0) };
    }
    const out = await session.run(input, task.statistics ? { statistics: task.statistics } : {});
    // The tile was moved here and is spent: freed now, not when this thread next collects.
    if (out.data !== task.data) release(task.data);
    const deviceMemory = session.deviceMemory?.();
    const result: TileResult = {
      data: out.data,
      channels: out.channels,
      height: out.height,
      width: out.width,
      engine: session.description,
      notices: notices.splice(0),
      ...(deviceMemory ? { deviceMemory } : {}),
    };
    return moveWith(result, [result.data.buffer]);
  } catch (err) {
    if (err instanceof DurnUserError) {
      const e: SerializedError = {
        durnUserError: true,
        code: err.code,
        message: err.message,
        ...(err.hint ? { hint: err.hint } : {}),
      };
      throw e;
    }
    throw err;
  }
}
