/**
 * The safetensors dtypes this library reads and writes, and the typed array that holds each.
 * F16 and BF16 have no JavaScript typed array: they are carried as their raw 16-bit patterns in a Uint16Array.
 * BOOL is one byte per element (0 or 1) in a Uint8Array. The FP8 types are rejected as unsupported.
 */

export type SafetensorsDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL';

export type TensorData =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | BigUint64Array
  | Uint32Array
  | Uint8Array;

interface DtypeInfo {
  bytes: number;
  create: (buffer: ArrayBuffer, byteOffset: number, length: number) => TensorData;
  isInstance: (data: TensorData) => boolean;
}

export const DTYPES: Record<SafetensorsDtype, DtypeInfo> = {
  F64: { bytes: 8, create: (b, o, n) => new Float64Array(b, o, n), isInstance: (d) => d instanceof Float64Array },
  F32: { bytes: 4, create: (b, o, n) => new Float32Array(b, o, n), isInstance: (d) => d instanceof Float32Array },
  F16: { bytes: 2, create: (b, o, n) => new Uint16Array(b, o, n), isInstance: (d) => d instanceof Uint16Array },
  BF16: { bytes: 2, create: (b, o, n) => new Uint16Array(b, o, n), isInstance: (d) => d instanceof Uint16Array },
  I64: { bytes: 8, create: (b, o, n) => new BigInt64Array(b, o, n), isInstance: (d) => d instanceof BigInt64Array },
  I32: { bytes: 4, create: (b, o, n) => new Int32Array(b, o, n), isInstance: (d) => d instanceof Int32Array },
  I16: { bytes: 2, create: (b, o, n) => new Int16Array(b, o, n), isInstance: (d) => d instanceof Int16Array },
  I8: { bytes: 1, create: (b, o, n) => new Int8Array(b, o, n), isInstance: (d) => d instanceof Int8Array },
  U64: { bytes: 8, create: (b, o, n) => new BigUint64Array(b, o, n), isInstance: (d) => d instanceof BigUint64Array },
  U32: { bytes: 4, create: (b, o, n) => new Uint32Array(b, o, n), isInstance: (d) => d instanceof Uint32Array },
  U16: { bytes: 2, create: (b, o, n) => new Uint16Array(b, o, n), isInstance: (d) => d instanceof Uint16Array },
  U8: { bytes: 1, create: (b, o, n) => new Uint8Array(b, o, n), isInstance: (d) => d instanceof Uint8Array },
  BOOL: { bytes: 1, create: (b, o, n) => new Uint8Array(b, o, n), isInstance: (d) => d instanceof Uint8Array },
};

export function isSupportedDtype(dtype: unknown): dtype is SafetensorsDtype {
  return typeof dtype === 'string' && Object.hasOwn(DTYPES, dtype);
}
