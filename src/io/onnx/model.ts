/**
 * The ONNX messages an exported model needs (onnx/onnx.proto, IR version 8), as plain objects, and their encoding
 * to the bytes of a .onnx file. Field numbers are onnx.proto's; tensors travel as little-endian raw_data.
 */
import { ProtoWriter } from './protobuf.js';

/** TensorProto.DataType values used here. */
export const ONNX_DTYPE = { float32: 1, int32: 6, int64: 7 } as const;
export type OnnxDType = keyof typeof ONNX_DTYPE;

/** IR version 8 goes with opset 17 (onnx/docs/Versioning.md). */
export const IR_VERSION = 8;

export interface TensorProto {
  name: string;
  dtype: OnnxDType;
  dims: readonly number[];
  data: Float32Array | Int32Array | BigInt64Array;
}

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] };

export interface NodeProto {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  attributes?: Readonly<Record<string, AttributeValue>>;
}

/** A graph input or output: dims are sizes, or a name for a dynamic axis ('batch'). */
export interface ValueInfo {
  name: string;
  dtype: OnnxDType;
  dims: readonly (number | string)[];
  doc?: string;
}

export interface GraphProto {
  name: string;
  nodes: readonly NodeProto[];
  initializers: readonly TensorProto[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
}

export interface ModelProto {
  graph: GraphProto;
  opset: number;
  producerName: string;
  producerVersion: string;
  doc?: string;
  metadata?: Readonly<Record<string, string>>;
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

function writeTensor(w: ProtoWriter, t: TensorProto): void {
  const expected = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== expected)
    throw new Error(`ONNX tensor '${t.name}': ${t.data.length} values for dims [${t.dims.join(', ')}] (${expected})`);
  w.packedInts(1, t.dims).int(2, ONNX_DTYPE[t.dtype]).string(8, t.name);
  // raw_data is little-endian; typed arrays are in the platform's order, little-endian on every target Node runs on.
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function writeAttribute(w: ProtoWriter, name: string, a: AttributeValue): void {
  w.string(1, name);
  if (a.kind === 'float') w.float(2, a.value).int(20, ATTR_FLOAT);
  else if (a.kind === 'int') w.int(3, a.value).int(20, ATTR_INT);
  else w.packedInts(8, a.value).int(20, ATTR_INTS);
}

function writeNode(w: ProtoWriter, n: NodeProto): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [name, a] of Object.entries(n.attributes ?? {})) w.message(5, (aw) => writeAttribute(aw, name, a));
}

function writeValueInfo(w: ProtoWriter, v: ValueInfo): void {
  w.string(1, v.name);
  // TypeProto { tensor_type: TypeProto.Tensor { elem_type, shape: TensorShapeProto { dim* } } }
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, ONNX_DTYPE[v.dtype]);
      tensor.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
  if (v.doc) w.string(3, v.doc);
}

function writeGraph(w: ProtoWriter, g: GraphProto): void {
  for (const n of g.nodes) w.message(1, (nw) => writeNode(nw, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (tw) => writeTensor(tw, t));
  for (const v of g.inputs) w.message(11, (vw) => writeValueInfo(vw, v));
  for (const v of g.outputs) w.message(12, (vw) => writeValueInfo(vw, v));
}

/** The bytes of a .onnx file. */
export function encodeModel(m: ModelProto): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, IR_VERSION).string(2, m.producerName).string(3, m.producerVersion);
  if (m.doc) w.string(6, m.doc);
  w.message(7, (gw) => writeGraph(gw, m.graph));
  // The default (ai.onnx) domain is the empty string.
  w.message(8, (ow) => ow.string(1, '').int(2, m.opset));
  for (const [key, value] of Object.entries(m.metadata ?? {})) w.message(14, (e) => e.string(1, key).string(2, value));
  return w.finish();
}
