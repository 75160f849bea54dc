export {
  serializeSafetensors,
  parseSafetensors,
  readSafetensors,
  writeSafetensors,
  writeFileAtomic,
  SafetensorsError,
  MAX_HEADER_BYTES,
  type SafetensorsTensor,
  type SafetensorsTensors,
  type SafetensorsFile,
  type SafetensorsDtype,
  type TensorData,
} from './safetensors.js';
