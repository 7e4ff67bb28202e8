/**
 * Weights on disk and the PyTorch checkpoint importer.
 *
 * ## Instance norm: mapping the reference layer onto a standard one
 *
 * The authors' instance-norm layer (DuRN-U, DuRN-US) declares `scale` and `shift` parameters but
 * computes `xhat * scale + scale`: `shift` is never used, and `scale` doubles as the shift. durn's
 * graph has a standard instance norm, `xhat * scale + shift`. The importer therefore sets every
 * `<prefix>.shift` := `<prefix>.scale` (the params with role `in.shift`), which reproduces the
 * reference outputs exactly, keeps durn's engines and ONNX export standard, and lets training
 * learn the two independently afterwards. The import notes how many stored shifts differed.
 *
 * ## Safety model of the unpickler
 *
 * A PyTorch checkpoint is a Python pickle, and unpickling in Python can call any importable
 * function (`os.system`, `builtins.eval`, …). durn's unpickler is written from scratch in
 * TypeScript and interprets opcodes only: it has no way to import or run Python code. Globals a
 * pickle names are resolved against a fixed allowlist of what a state_dict needs
 * (`collections.OrderedDict`, `torch._utils._rebuild_tensor[_v2]`, `_rebuild_parameter`, the
 * typed storage classes such as `torch.FloatStorage`), each an inert stand-in that builds a
 * tensor description or a dict. Any other global is refused as CHECKPOINT_UNSAFE before anything
 * is written, naming it ("the pickle references os.system …"); so are the copyreg extension
 * opcodes. Storage bytes are bounds-checked against every tensor's offset, shape and strides, zip
 * entries are CRC-checked, and lengths are checked against the buffer, so a truncated or crafted
 * file fails with CHECKPOINT_INVALID instead of reading out of bounds.
 *
 * ## Files
 *
 * Weights are stored as safetensors with durn metadata (`format: "durn-weights"`, `format_version`,
 * `arch`, `task`, JSON `provenance` and `metrics`), written atomically and deterministically.
 * Loading validates every name, shape and dtype against the network graph.
 */
export { decodeFloat16Array, encodeFloat16Array, float16ToFloat32, float32ToFloat16 } from './float16.ts';
export { weightsHash } from './hash.ts';
export { type NpyArray, parseNpy, readNpy } from './npy.ts';
export { importCheckpoint, importCheckpointToFile, readTorchFile, WRAPPER_KEYS } from './pytorch/import.ts';
export {
  decodeSafetensors,
  encodeSafetensors,
  loadWeights,
  saveWeights,
  WEIGHTS_FORMAT,
  WEIGHTS_FORMAT_VERSION,
} from './safetensors.ts';
export type { HostTensor, StateDict, TensorData, Weights, WeightsMetadata } from './types.ts';
export { firstMismatch, matchingArchs, validateStateDict } from './validate.ts';
