/**
 * The write side of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/), just what the
 * ONNX messages need: varint scalars (int64 as two's complement, so negative axes take ten bytes), length-delimited
 * strings, bytes and nested messages, and packed repeated int64 / float. Fields are written in the order given;
 * a decoder accepts any order. Writing only (nothing here parses), so a few dozen lines replace a protobuf library.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;

const textEncoder = new TextEncoder();

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  private varint(value: bigint): void {
    // int64 fields carry negative values as their 64-bit two's complement.
    let v = BigInt.asUintN(64, value);
    const out: number[] = [];
    do {
      const low = Number(v & 0x7fn);
      v >>= 7n;
      out.push(v === 0n ? low : low | 0x80);
    } while (v !== 0n);
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wire: number): void {
    if (!Number.isInteger(field) || field < 1)
      throw new Error(`ProtoWriter: field number must be a positive integer, got ${field}`);
    this.varint(BigInt((field << 3) | wire));
  }

  /** An int32/int64/enum/bool field (varint). */
  int(field: number, value: number | bigint): this {
    if (typeof value === 'number' && !Number.isSafeInteger(value))
      throw new Error(`ProtoWriter: field ${field} needs an integer, got ${value}`);
    this.tag(field, WIRE_VARINT);
    this.varint(BigInt(value));
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.varint(BigInt(value.length));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  /** A nested message, written by `write` into its own writer. */
  message(field: number, write: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated int64 field (omitted when empty, as proto3 does). */
  packedInts(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter();
    for (const v of values) {
      if (!Number.isSafeInteger(v)) throw new Error(`ProtoWriter: field ${field} needs integers, got ${v}`);
      inner.varint(BigInt(v));
    }
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated float field: little-endian IEEE-754 single precision. */
  packedFloats(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const buf = new Uint8Array(values.length * 4);
    const view = new DataView(buf.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, buf);
  }

  /** A single float field (wire type 5, fixed 32-bit). */
  float(field: number, value: number): this {
    this.tag(field, 5);
    const buf = new Uint8Array(4);
    new DataView(buf.buffer).setFloat32(0, value, true);
    this.push(buf);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}
