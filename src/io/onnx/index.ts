/** Writing ONNX models: the protobuf encoding of the messages (model.ts) and a graph builder. */
export {
  encodeModel,
  ONNX_DTYPE,
  IR_VERSION,
  type ModelProto,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfo,
  type AttributeValue,
  type OnnxDType,
} from './model.js';
export { GraphBuilder, attr } from './graph-builder.js';
export { ProtoWriter } from './protobuf.js';
