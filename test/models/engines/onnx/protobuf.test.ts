import { describe, expect, it } from 'vitest';
import { INPUT_NAME, OUTPUT_NAME } from '../../../../src/models/engines/onnx/lower.ts';
import { encodeModel, ONNX_FLOAT, ProtoWriter } from '../../../../src/models/engines/onnx/protobuf.ts';
import { loadOrt } from '../../../../src/models/engines/onnx/runtime.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ProtoWriter', () => {
  it('encodes varints, negative int64s, floats, strings and packed ints as protobuf does', () => {
    const w = new ProtoWriter();
    w.int(1, 300);
    w.int(2, -1);
    w.float(3, 1.5);
    w.string(4, 'hi');
    w.packedInts(5, [1, 2, 300]);
    expect(hex(w.finish())).toBe(
      ['08ac02', '10ffffffffffffffffff01', '1d0000c03f', '22026869', '2a040102ac02'].join(''),
    );
  });

  it('keeps large payloads intact across chunk boundaries', () => {
    const w = new ProtoWriter();
    const big = Uint8Array.from({ length: 1000 }, (_, i) => i & 255);
    w.int(1, 7);
    w.bytes(2, big);
    w.int(3, 9);
    const out = w.finish();
    expect(hex(out.subarray(0, 5))).toBe('0807' + '12e807');
    expect(out.subarray(5, 1005)).toEqual(big);
    expect(hex(out.subarray(1005))).toBe('1809');
  });
});

describe('encodeModel', () => {
  it('writes a ModelProto that ONNX Runtime opens and runs, with symbolic dims and an initializer', async () => {
    const bytes = encodeModel({
      irVersion: 8,
      opset: 17,
      producer: 'durn',
      producerVersion: 'test',
      graphName: 'g',
      nodes: [
        { op: 'Mul', name: 'm', inputs: [INPUT_NAME, 'k'], outputs: ['y'] },
        {
          op: 'LeakyRelu',
          name: 'l',
          inputs: ['y'],
          outputs: [OUTPUT_NAME],
          attributes: { alpha: { kind: 'float', value: 0.25 } },
        },
      ],
      initializers: [{ name: 'k', dims: [2, 1, 1], data: Float32Array.of(2, -3) }],
      inputs: [{ name: INPUT_NAME, elemType: ONNX_FLOAT, dims: ['N', 2, 'H', 'W'] }],
      outputs: [{ name: OUTPUT_NAME, elemType: ONNX_FLOAT, dims: ['N', 2, 'H', 'W'] }],
    });
    const ort = await loadOrt();
    const s = await ort.InferenceSession.create(bytes);
    expect(s.inputMetadata[0]).toMatchObject({ name: INPUT_NAME, shape: ['N', 2, 'H', 'W'] });
    const x = new ort.Tensor('float32', Float32Array.of(1, -1, 2, 0.5), [1, 2, 1, 2]);
    const out = await s.run({ [INPUT_NAME]: x });
    expect(Array.from(out[OUTPUT_NAME]!.data as Float32Array)).toEqual([2, -0.5, -1.5, -0.375]);
    await s.release();
  });
});
