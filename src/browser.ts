/**
 * The browser (and edge runtime) entry, bundled by scripts/build-browser.mjs into dist/browser/mtgrad.js: the
 * engine (tensors, ops, autograd, layers, models) and mtgrad/infer's scoring, with no `node:` import. What is left
 * out needs a file system or is training-side: data loaders, the trainer and checkpoint writing, the CLI.
 *
 *   import { loadPredictor } from './mtgrad.js';
 *   const predictor = await loadPredictor('model.safetensors', { backend: 'webgpu' });  // navigator.gpu
 */
export type { DType, TypedArray, Shape, Backend, BackendInfo, Storage, Activation } from './backends/kernels.js';
export { Tensor, type NestedArray, type GradHook } from './tensor/tensor.js';
export { tidy, keep, dispose } from './tensor/scope.js';
export { loadBackend } from './tensor/init.js';
export * from './autograd/index.js';
export * from './ops/index.js';
export * as nn from './nn/index.js';
export * as models from './models/index.js';
export { createModel, MODEL_NAMES, type ModelName } from './models/index.js';
export { parseSafetensors, SafetensorsError, type SafetensorsFile } from './io/safetensors-format.js';
export * from './infer/index.js';
