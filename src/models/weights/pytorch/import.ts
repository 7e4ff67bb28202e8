/**
 * Importing PyTorch checkpoints of the six networks: read (safely), unwrap, map the reference
 * implementation's quirks onto durn's graph, validate, and write durn's safetensors.
 */
import { z } from 'zod';
import { DurnUserError } from '../../../core/errors.ts';
import { VERSION } from '../../../core/version.ts';
import type { NetworkId } from '../../graph/types.ts';
import { getNetwork } from '../../networks/index.ts';
import { saveWeights } from '../safetensors.ts';
import type { HostTensor, StateDict } from '../types.ts';
import { matchingArchs, validateStateDict } from '../validate.ts';
import { found } from '../wording.ts';
import type { PyValue } from './pickle.ts';
import { describePy, flattenTensors, loadTorchObject, readTorchFile, type TorchObject } from './read.ts';
import { TensorRef } from './torch-globals.ts';

export { readTorchFile };

/**
 * Keys under which training scripts commonly nest the state_dict. A value is unwrapped only if it
 * is a dict holding nothing but tensors, and only if exactly one such key exists, so an
 * optimizer state or a second model (e.g. an EMA copy) is never mistaken for the weights.
 */
export const WRAPPER_KEYS = ['state_dict', 'model_state_dict', 'model', 'net', 'network', 'params'] as const;

const isTensorDict = (v: PyValue | undefined): v is Map<PyValue, PyValue> =>
  v instanceof Map && v.size > 0 && [...v].every(([k, x]) => typeof k === 'string' && x instanceof TensorRef);

function findStateDict(obj: TorchObject, source: string, notes: string[]): Map<PyValue, PyValue> {
  const v = obj.value;
  if (isTensorDict(v)) return v;
  if (v instanceof Map) {
    const candidates = WRAPPER_KEYS.filter((k) => isTensorDict(v.get(k)));
    if (candidates.length === 1) {
      const others = [...v.keys()].filter((k) => k !== candidates[0]).map(String);
      notes.push(
        `unwrapped the state_dict stored under "${candidates[0]}"` +
          (others.length > 0 ? ` (ignored: ${others.join(', ')})` : ''),
      );
      return v.get(candidates[0]) as Map<PyValue, PyValue>;
    }
    if (candidates.length > 1) {
      throw new DurnUserError(
        'CHECKPOINT_INVALID',
        found('one state_dict', source, `several candidates: ${candidates.map((k) => `"${k}"`).join(', ')}`),
        { file: source, hint: 'Re-save the one you mean with torch.save(model.state_dict(), path).' },
      );
    }
  }
  throw new DurnUserError(
    'CHECKPOINT_INVALID',
    found(`a state_dict (a dict of tensors, or one under ${WRAPPER_KEYS.join('/')})`, source, describePy(v)),
    { file: source, hint: 'Save the weights with torch.save(model.state_dict(), path).' },
  );
}

function sameValues(a: HostTensor, b: HostTensor): boolean {
  if (a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

/**
 * The state_dict inside a loaded checkpoint: unwrapped (see WRAPPER_KEYS), flattened, and without
 * DataParallel's `module.` prefix. `notes` says what was done.
 */
export function stateDictOf(obj: TorchObject, source: string): { tensors: StateDict; notes: string[] } {
  const notes: string[] = [];
  const raw: StateDict = new Map();
  flattenTensors(obj, findStateDict(obj, source, notes), '', raw);
  if (![...raw.keys()].every((k) => k.startsWith('module.'))) return { tensors: raw, notes };
  notes.push('stripped the "module." prefix (a DataParallel checkpoint)');
  return { tensors: new Map([...raw].map(([k, t]) => [k.slice('module.'.length), t])), notes };
}

/**
 * Reads a checkpoint and returns exactly the parameters of `arch` (unused reference keys are
 * reported in `unused` and left out), after mapping the reference quirks. See index.ts.
 */
export async function importCheckpoint(
  path: string,
  arch: NetworkId,
): Promise<{ tensors: StateDict; unused: string[]; notes: string[] }> {
  const graph = getNetwork(arch).graph;
  const { tensors: stripped, notes } = stateDictOf(await loadTorchObject(path), path);
  const tensors: StateDict = new Map(stripped);

  const missingCounters: string[] = [];
  let inLayers = 0;
  let inDiffering = 0;
  for (const p of graph.params) {
    if (p.role === 'bn.num_batches_tracked' && !tensors.has(p.name)) {
      tensors.set(p.name, { shape: [], dtype: 'int64', data: new BigInt64Array(1) });
      missingCounters.push(p.name);
    }
    if (p.role === 'in.shift') {
      const scale = tensors.get(`${p.name.slice(0, -'.shift'.length)}.scale`);
      if (!scale) continue; // validation reports it
      const shift = tensors.get(p.name);
      if (shift && !sameValues(shift, scale)) inDiffering++;
      inLayers++;
      tensors.set(p.name, { shape: scale.shape, dtype: scale.dtype, data: scale.data.slice() });
    }
  }
  if (missingCounters.length > 0) {
    notes.push(
      `num_batches_tracked missing in ${missingCounters.length} BatchNorm layers (a pre-0.4.1 checkpoint): set to 0`,
    );
  }
  if (inLayers > 0) {
    notes.push(
      `instance norm: shift set to scale in ${inLayers} layers (the reference layer adds scale as its shift; ` +
        `${inDiffering} stored shifts differed and were unused)`,
    );
  }

  let unused: string[];
  try {
    ({ unused } = validateStateDict(arch, tensors, path));
  } catch (err) {
    // Suggest from the tensors as stored: the fills above are specific to `arch`.
    const others = matchingArchs(stripped).filter((id) => id !== arch);
    if (err instanceof DurnUserError && err.code === 'WEIGHTS_MISMATCH' && others.length > 0) {
      throw new DurnUserError(err.code, err.message, {
        file: path,
        hint: `These tensors match ${others.join(' or ')}: use --arch ${others[0]}.`,
      });
    }
    throw err;
  }
  const result: StateDict = new Map();
  for (const p of graph.params) result.set(p.name, tensors.get(p.name)!);
  return { tensors: result, unused, notes };
}

const ImportOptions = z
  .object({
    dtype: z.enum(['float32', 'float16']).default('float32'),
    overwrite: z.boolean().default(false),
    task: z.string().min(1).optional(),
  })
  .strict();

/**
 * Imports a checkpoint into a durn weights file (safetensors), atomically. The file carries no
 * timestamps, paths or source-format details, so the zip and legacy copies of one checkpoint give
 * byte-identical files.
 */
export async function importCheckpointToFile(
  input: string,
  arch: NetworkId,
  out: string,
  opts: { dtype?: 'float32' | 'float16'; overwrite?: boolean; task?: string } = {},
): Promise<{ out: string; unused: string[]; notes: string[] }> {
  const parsed = ImportOptions.safeParse(opts);
  if (!parsed.success) {
    throw new DurnUserError(
      'INVALID_OPTION',
      found(
        '{ dtype?: "float32" | "float16", overwrite?: boolean, task?: string }',
        'the import options',
        JSON.stringify(opts),
      ),
    );
  }
  const { tensors, unused, notes } = await importCheckpoint(input, arch);
  const net = getNetwork(arch);
  await saveWeights(
    out,
    {
      metadata: {
        formatVersion: 1,
        arch,
        ...(parsed.data.task ? { task: parsed.data.task } : {}),
        provenance: {
          kind: 'imported',
          from: 'PyTorch state_dict',
          importer: `durn ${VERSION}`,
          network: net.title,
          notes,
        },
      },
      tensors,
    },
    { dtype: parsed.data.dtype, overwrite: parsed.data.overwrite },
  );
  return { out, unused, notes };
}
