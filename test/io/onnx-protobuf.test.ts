/** The protobuf writer behind the ONNX export, against the wire-format examples of protobuf.dev's encoding guide. */
import { describe, expect, it } from 'vitest';
import { ProtoWriter } from '../../src/io/onnx/protobuf.js';
import { encodeModel } from '../../src/io/onnx/model.js';

const bytes = (w: ProtoWriter) => Array.from(w.finish());

describe('ProtoWriter', () => {
  it('writes varints as the encoding guide does (field 1 = 150 → 08 96 01)', () => {
    expect(bytes(new ProtoWriter().int(1, 150))).toEqual([0x08, 0x96, 0x01]);
    expect(bytes(new ProtoWriter().int(1, 0))).toEqual([0x08, 0x00]);
    expect(bytes(new ProtoWriter().int(2, 300))).toEqual([0x10, 0xac, 0x02]);
  });

  it("writes negative int64 as ten-byte two's complement varints", () => {
    expect(bytes(new ProtoWriter().int(3, -1))).toEqual([
      0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
    expect(bytes(new ProtoWriter().int(3, -2))).toEqual([
      0x18, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
  });

  it('writes strings, nested messages and packed repeated fields length-delimited', () => {
    // The guide's example: field 2 = "testing" → 12 07 74 65 73 74 69 6e 67.
    expect(bytes(new ProtoWriter().string(2, 'testing'))).toEqual([
      0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67,
    ]);
    // Field 3 = message { field 1 = 150 } → 1a 03 08 96 01.
    expect(bytes(new ProtoWriter().message(3, (w) => w.int(1, 150)))).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01]);
    // Packed repeated field 4 = [3, 270, 86942] → 22 06 03 8e 02 9e a7 05.
    expect(bytes(new ProtoWriter().packedInts(4, [3, 270, 86942]))).toEqual([
      0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05,
    ]);
    expect(bytes(new ProtoWriter().packedInts(4, []))).toEqual([]);
    // Fixed32 float 1.0 = 0x3f800000 little-endian, wire type 5.
    expect(bytes(new ProtoWriter().float(2, 1))).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
    expect(bytes(new ProtoWriter().packedFloats(7, [1, -2]))).toEqual([
      0x3a, 0x08, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0,
    ]);
  });

  it('refuses values the wire format cannot carry exactly', () => {
    expect(() => new ProtoWriter().int(1, 1.5)).toThrow(/field 1 needs an integer, got 1.5/);
    expect(() => new ProtoWriter().int(0, 1)).toThrow(/field number must be a positive integer, got 0/);
    expect(() => new ProtoWriter().packedInts(1, [2 ** 60])).toThrow(/field 1 needs integers/);
  });
});

describe('encodeModel', () => {
  it("checks that a tensor's data fits its dims", () => {
    const graph = {
      name: 'g',
      nodes: [],
      inputs: [],
      outputs: [],
      initializers: [{ name: 'w', dtype: 'float32' as const, dims: [2, 3], data: new Float32Array(5) }],
    };
    expect(() => encodeModel({ graph, opset: 17, producerName: 't', producerVersion: '0' })).toThrow(
      /ONNX tensor 'w': 5 values for dims \[2, 3\] \(6\)/,
    );
  });
});
