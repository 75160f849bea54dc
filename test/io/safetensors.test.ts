import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseSafetensors,
  readSafetensors,
  serializeSafetensors,
  writeSafetensors,
  type SafetensorsTensors,
} from '../../src/io/safetensors.js';

/** Builds a file by hand from a header object (or raw header text) and data bytes, exactly as the spec lays it out. */
function buildFile(header: unknown, data: Uint8Array, padTo8 = true): Buffer {
  let text = typeof header === 'string' ? header : JSON.stringify(header);
  if (padTo8) while (Buffer.byteLength(text) % 8 !== 0) text += ' ';
  const json = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, data]);
}

function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mtgrad-safetensors-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('safetensors writing', () => {
  it('produces exactly the bytes the spec describes', () => {
    const bytes = serializeSafetensors(
      { w: { dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) } },
      { format: 'pt' },
    );
    const header = '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const expected = buildFile(header, f32Bytes([1, -2]));
    expect(Buffer.compare(bytes, expected)).toBe(0);
    // the length prefix is little-endian and the header is padded with spaces to a multiple of 8
    expect(bytes.readBigUInt64LE(0) % 8n).toBe(0n);
    expect(bytes[8 + header.length]).toBe(0x20);
  });

  it('round-trips every supported dtype, scalars and empty tensors, through an atomic file write', async () => {
    const tensors: SafetensorsTensors = {
      'layer.0.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) },
      'layer.0.bias': { dtype: 'F64', shape: [3], data: new Float64Array([0.1, -0.2, 1e-300]) },
      vocab_ids: { dtype: 'I32', shape: [4], data: new Int32Array([0, -1, 2147483647, -2147483648]) },
      step: { dtype: 'I64', shape: [], data: new BigInt64Array([123456789012345n]) },
      half: { dtype: 'F16', shape: [1], data: new Uint16Array([0x3c00]) },
      flags: { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
      bytes: { dtype: 'U8', shape: [1, 3], data: new Uint8Array([7, 8, 9]) },
      empty: { dtype: 'F32', shape: [0, 5], data: new Float32Array(0) },
    };
    const path = join(directory, 'model.safetensors');
    await writeSafetensors(path, tensors, { config: '{"experts":8}' });
    const loaded = await readSafetensors(path);
    expect(loaded.metadata).toEqual({ config: '{"experts":8}' });
    expect(Object.keys(loaded.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, tensor] of Object.entries(tensors)) {
      expect(loaded.tensors[name].dtype).toBe(tensor.dtype);
      expect(loaded.tensors[name].shape).toEqual(tensor.shape);
      expect(loaded.tensors[name].data).toEqual(tensor.data);
    }
    // no temporary file is left behind
    expect(await readdir(directory)).toEqual(['model.safetensors']);
  });

  it('aligns every tensor to 8 bytes by ordering wide dtypes first', () => {
    const bytes = serializeSafetensors({
      a: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
      b: { dtype: 'F64', shape: [1], data: new Float64Array([2]) },
    });
    const parsed = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString());
    expect(parsed.b.data_offsets).toEqual([0, 8]);
    expect(parsed.a.data_offsets).toEqual([8, 11]);
  });

  it('replaces an existing file and rejects inconsistent tensors before touching it', async () => {
    const path = join(directory, 'replace.safetensors');
    await writeSafetensors(path, { x: { dtype: 'F32', shape: [1], data: new Float32Array([1]) } });
    await writeSafetensors(path, { x: { dtype: 'F32', shape: [1], data: new Float32Array([2]) } });
    expect((await readSafetensors(path)).tensors.x.data).toEqual(new Float32Array([2]));
    await expect(
      writeSafetensors(path, { x: { dtype: 'F32', shape: [2], data: new Float32Array([1]) } }),
    ).rejects.toThrow(/tensor "x": shape \[2\] needs 2 elements/);
    await expect(
      writeSafetensors(path, { x: { dtype: 'F64', shape: [1], data: new Float32Array([1]) } }),
    ).rejects.toThrow(/tensor "x": dtype F64 does not match data of type Float32Array/);
    expect((await readSafetensors(path)).tensors.x.data).toEqual(new Float32Array([2]));
  });
});

describe('safetensors reading', () => {
  it('reads a hand-built file without padding and with unaligned data', () => {
    const header = {
      a: { dtype: 'I32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [1, 1], data_offsets: [8, 12] },
    };
    const data = new Uint8Array(12);
    new DataView(data.buffer).setInt32(0, -5, true);
    new DataView(data.buffer).setInt32(4, 7, true);
    new DataView(data.buffer).setFloat32(8, 0.5, true);
    const file = parseSafetensors(buildFile(header, data, false));
    expect(file.tensors.a.data).toEqual(new Int32Array([-5, 7]));
    expect(file.tensors.b).toEqual({ dtype: 'F32', shape: [1, 1], data: new Float32Array([0.5]) });
    expect(file.metadata).toEqual({});
  });

  const f32 = (shape: number[], offsets: [number, number]) => ({ dtype: 'F32', shape, data_offsets: offsets });
  const corruptions: Array<[string, Buffer, RegExp]> = [
    ['a file shorter than 8 bytes', Buffer.from([1, 2, 3]), /shorter than the 8-byte header length/],
    [
      'a header length above the limit',
      (() => {
        const b = Buffer.alloc(16);
        b.writeBigUInt64LE(2n ** 40n);
        return b;
      })(),
      /exceeds the 100000000-byte limit/,
    ],
    [
      'a header length past the end of the file',
      (() => {
        const b = Buffer.alloc(16);
        b.writeBigUInt64LE(100n);
        return b;
      })(),
      /runs past the end/,
    ],
    ['a header that is not JSON', buildFile('{"a": nope}', new Uint8Array(0)), /not valid JSON/],
    ['a header that is not an object', buildFile('[1, 2]', new Uint8Array(0)), /does not start with "\{"/],
    [
      'an unknown dtype',
      buildFile({ w: { dtype: 'F7', shape: [1], data_offsets: [0, 4] } }, f32Bytes([1])),
      /tensor "w": unknown or unsupported dtype "F7"/,
    ],
    ['a negative dimension', buildFile({ w: f32([-1], [0, 4]) }, f32Bytes([1])), /tensor "w": shape must be/],
    [
      'a shape that does not match the byte length',
      buildFile({ w: f32([3], [0, 8]) }, f32Bytes([1, 2])),
      /tensor "w": shape \[3\] × F32 needs 12 bytes, data_offsets span 8/,
    ],
    [
      'offsets past the end of the file',
      buildFile({ w: f32([2], [4, 12]) }, f32Bytes([1, 2])),
      /tensor "w": data_offsets \[4, 12\] reach past the data section/,
    ],
    [
      'reversed offsets',
      buildFile({ w: f32([0], [8, 4]) }, f32Bytes([1, 2])),
      /tensor "w": data_offsets \[8, 4\] end before they begin/,
    ],
    [
      'overlapping tensors',
      buildFile({ a: f32([2], [0, 8]), b: f32([1], [4, 8]) }, f32Bytes([1, 2])),
      /tensor "b": .*overlap/,
    ],
    [
      'a gap between tensors',
      buildFile({ a: f32([1], [0, 4]), b: f32([1], [8, 12]) }, f32Bytes([1, 2, 3])),
      /tensor "b": .*leave a gap after byte 4/,
    ],
    [
      'trailing bytes no tensor covers',
      buildFile({ a: f32([1], [0, 4]) }, f32Bytes([1, 2])),
      /tensors cover 4 bytes but the data section has 8/,
    ],
    [
      'non-string metadata',
      buildFile({ __metadata__: { epochs: 3 } }, new Uint8Array(0)),
      /__metadata__ "epochs" is not a string/,
    ],
    [
      'malformed data_offsets',
      buildFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f32Bytes([1])),
      /tensor "w": data_offsets must be two/,
    ],
  ];
  for (const [what, bytes, message] of corruptions) {
    it(`rejects ${what}`, () => {
      expect(() => parseSafetensors(bytes, 'bad.safetensors')).toThrow(message);
      expect(() => parseSafetensors(bytes, 'bad.safetensors')).toThrow(/^bad\.safetensors: /);
    });
  }

  it('names the file in errors from readSafetensors', async () => {
    const path = join(directory, 'truncated.safetensors');
    const good = serializeSafetensors({ w: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
    await writeFile(path, good.subarray(0, good.length - 2));
    await expect(readSafetensors(path)).rejects.toThrow(new RegExp(`${path}: tensor "w"`));
    expect((await readFile(path)).length).toBe(good.length - 2);
  });
});
