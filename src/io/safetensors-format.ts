/**
 * The safetensors file format (https://github.com/huggingface/safetensors), so checkpoints load in PyTorch's
 * `safetensors.torch.load_file` and any other reader of the spec:
 *
 *   [8 bytes: N, unsigned little-endian 64-bit] [N bytes: JSON header, UTF-8] [data bytes]
 *
 * The header maps each tensor name to { dtype, shape, data_offsets: [begin, end] } (offsets relative to the start
 * of the data section) plus an optional "__metadata__" map of string to string. We pad the header with spaces to a
 * multiple of 8 bytes and order tensors by decreasing element size, then by name, so every tensor starts aligned
 * to its own element size (float64 at 8 bytes, 4-byte dtypes at 4; as the reference Rust writer does). Loading checks everything a corrupt or hostile file could
 * get wrong and names the tensor at fault. Data is little-endian; this module refuses to run on a big-endian host
 * rather than write byte-swapped files.
 *
 * This module is the format alone (bytes in memory, no `node:` import: it runs in a browser); safetensors.ts adds
 * the file reading and atomic writing.
 */
import { DTYPES, isSupportedDtype, type SafetensorsDtype, type TensorData } from './safetensors-dtypes.js';

export type { SafetensorsDtype, TensorData } from './safetensors-dtypes.js';

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

export type SafetensorsTensors = Record<string, SafetensorsTensor>;

export interface SafetensorsFile {
  tensors: SafetensorsTensors;
  metadata: Record<string, string>;
}

/** The reference implementation refuses headers above 100 MB; so do we (a corrupt length must not allocate GBs). */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

export class SafetensorsError extends Error {
  constructor(source: string, message: string) {
    super(`${source}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function assertLittleEndianHost(): void {
  if (!LITTLE_ENDIAN_HOST) throw new Error('safetensors: big-endian hosts are not supported');
}

function elementCount(shape: number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

function validateTensorForWrite(name: string, tensor: SafetensorsTensor): void {
  const where = 'serializeSafetensors';
  if (name === METADATA_KEY)
    throw new SafetensorsError(where, `"${METADATA_KEY}" is reserved and cannot name a tensor`);
  if (!isSupportedDtype(tensor.dtype))
    throw new SafetensorsError(where, `tensor "${name}": unsupported dtype ${String(tensor.dtype)}`);
  if (!Array.isArray(tensor.shape) || !tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(
      where,
      `tensor "${name}": shape must be non-negative integers, got ${JSON.stringify(tensor.shape)}`,
    );
  }
  if (!DTYPES[tensor.dtype].isInstance(tensor.data)) {
    throw new SafetensorsError(
      where,
      `tensor "${name}": dtype ${tensor.dtype} does not match data of type ${tensor.data.constructor.name}`,
    );
  }
  const expected = elementCount(tensor.shape);
  if (tensor.data.length !== expected) {
    throw new SafetensorsError(
      where,
      `tensor "${name}": shape [${tensor.shape.join(', ')}] needs ${expected} elements, data has ${tensor.data.length}`,
    );
  }
}

/** Builds the complete file contents in memory. */
export function serializeSafetensors(tensors: SafetensorsTensors, metadata?: Record<string, string>): Buffer {
  assertLittleEndianHost();
  const names = Object.keys(tensors);
  for (const name of names) validateTensorForWrite(name, tensors[name]);
  names.sort((a, b) => DTYPES[tensors[b].dtype].bytes - DTYPES[tensors[a].dtype].bytes || (a < b ? -1 : a > b ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string')
        throw new SafetensorsError('serializeSafetensors', `metadata "${key}" must be a string`);
    }
    header[METADATA_KEY] = metadata;
  }
  let offset = 0;
  for (const name of names) {
    const { dtype, shape, data } = tensors[name];
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const paddedLength = Math.ceil(json.length / 8) * 8;
  const out = Buffer.alloc(8 + paddedLength + offset);
  out.writeBigUInt64LE(BigInt(paddedLength), 0);
  json.copy(out, 8);
  out.fill(0x20, 8 + json.length, 8 + paddedLength);
  let position = 8 + paddedLength;
  for (const name of names) {
    const data = tensors[name].data;
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
    position += data.byteLength;
  }
  return out;
}

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

function parseHeaderEntry(source: string, name: string, raw: unknown, dataLength: number): HeaderEntry {
  const fail = (message: string): never => {
    throw new SafetensorsError(source, `tensor "${name}": ${message}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('header entry is not an object');
  const entry = raw as Record<string, unknown>;
  const { dtype, shape, data_offsets: offsets } = entry;
  if (!isSupportedDtype(dtype)) return fail(`unknown or unsupported dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return fail(`shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    return fail(`data_offsets must be two non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataLength) fail(`data_offsets [${begin}, ${end}] reach past the data section (${dataLength} bytes)`);
  const expectedBytes = elementCount(shape as number[]) * DTYPES[dtype].bytes;
  if (end - begin !== expectedBytes) {
    fail(
      `shape [${(shape as number[]).join(', ')}] × ${dtype} needs ${expectedBytes} bytes, data_offsets span ${end - begin}`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** Parses and validates a whole file held in memory. `source` names the file in error messages. */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsFile {
  assertLittleEndianHost();
  if (bytes.length < 8)
    throw new SafetensorsError(source, `file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength64 = view.getBigUint64(0, true);
  if (headerLength64 > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(source, `header length ${headerLength64} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const headerLength = Number(headerLength64);
  if (8 + headerLength > bytes.length) {
    throw new SafetensorsError(
      source,
      `header length ${headerLength} runs past the end of the ${bytes.length}-byte file`,
    );
  }
  const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
  if (!headerText.startsWith('{')) throw new SafetensorsError(source, 'header does not start with "{"');
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (error) {
    throw new SafetensorsError(source, `header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsError(source, 'header is not a JSON object');
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new SafetensorsError(source, '__metadata__ must be an object of strings');
      }
      for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof value !== 'string') throw new SafetensorsError(source, `__metadata__ "${key}" is not a string`);
        metadata[key] = value;
      }
      continue;
    }
    entries.push(parseHeaderEntry(source, name, raw, dataLength));
  }

  // The spec requires the tensors to tile the data section: no gaps, no overlaps, nothing left over.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const entry of byOffset) {
    if (entry.begin < expectedBegin) {
      throw new SafetensorsError(
        source,
        `tensor "${entry.name}": data_offsets [${entry.begin}, ${entry.end}] overlap the previous tensor (which ends at ${expectedBegin})`,
      );
    }
    if (entry.begin > expectedBegin) {
      throw new SafetensorsError(
        source,
        `tensor "${entry.name}": data_offsets [${entry.begin}, ${entry.end}] leave a gap after byte ${expectedBegin}`,
      );
    }
    expectedBegin = entry.end;
  }
  if (expectedBegin !== dataLength) {
    throw new SafetensorsError(source, `tensors cover ${expectedBegin} bytes but the data section has ${dataLength}`);
  }

  const tensors: SafetensorsTensors = {};
  for (const entry of entries) {
    // Copy into a fresh, aligned buffer: the data section of a foreign file need not be aligned for a typed array.
    const byteLength = entry.end - entry.begin;
    const copy = new ArrayBuffer(byteLength);
    new Uint8Array(copy).set(bytes.subarray(dataStart + entry.begin, dataStart + entry.end));
    const data = DTYPES[entry.dtype].create(copy, 0, byteLength / DTYPES[entry.dtype].bytes);
    tensors[entry.name] = { dtype: entry.dtype, shape: entry.shape, data };
  }
  return { tensors, metadata };
}
