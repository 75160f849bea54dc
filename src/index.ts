/** mtgrad's public API: everything a user needs is exported from the package root. */
export type { DType, TypedArray, Shape, Backend, BackendInfo, Storage, Activation } from './backends/kernels.js';
export { Tensor, type NestedArray, type GradHook } from './tensor/tensor.js';
export { manualSeed, memory, type MemoryInfo } from './tensor/engine.js';
export { tidy, keep, dispose } from './tensor/scope.js';
export {
  init,
  loadBackend,
  backendName,
  backendInfo,
  type BackendName,
  type BackendOptions,
  type GpuEntry,
  type InitResult,
} from './tensor/init.js';
export * from './autograd/index.js';
export * from './ops/index.js';
export * as data from './data/index.js';
export * as metrics from './metrics/index.js';
export * as io from './io/index.js';
// Layers, optimizers and the multi-task toolkit live in namespaces, as in PyTorch: nn.Linear, nn.init.xavierUniform,
// optim.Adam, optim.StepLR, mtl.PCGrad. (Namespaces also keep nn.init apart from the engine's init().)
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as mtl from './mtl/index.js';
// The model zoo: models.MMoE, models.createModel('ple', config); the registry also at the root.
export * as models from './models/index.js';
export { createModel, MODEL_NAMES, type ModelName } from './models/index.js';
// ONNX export of a checkpoint's model (what `mtgrad export` runs).
export { exportOnnx, ONNX_EXPORT_MODELS, type OnnxExport, type OnnxExportDescription } from './models/export/onnx.js';
// Training (Trainer, metrics, checkpoints); scoring without training code is the 'mtgrad/infer' entry.
export * as train from './train/index.js';
export {
  compile,
  CaptureError,
  type CompileOptions,
  type CompiledFunction,
  type CompileStats,
} from './compile/index.js';
export { compileByDefault, setCompileDefault } from './compile/default.js';
