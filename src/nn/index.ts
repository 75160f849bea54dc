/**
 * mtgrad.nn — layers, as torch.nn: Module and containers, Linear, MLP, BatchNorm1d, LayerNorm, Dropout,
 * Embedding (lazy row updates), FeatureEncoder, plus initialisers (nn.init) and parameter helpers.
 */
export { Module, parameterName, type TensorModule, type LoadResult } from './module.js';
export { Sequential, ModuleList, ModuleDict } from './containers.js';
export { Linear, type LinearOptions } from './linear.js';
export { MLP, type MLPOptions } from './mlp.js';
export { BatchNorm1d, type BatchNormOptions } from './batch-norm.js';
export { LayerNorm, type LayerNormOptions } from './layer-norm.js';
export { Dropout } from './dropout.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export {
  ExpertBank,
  StackedLinear,
  asExpertMajor,
  expertMajor,
  materialize,
  type ExpertBankOptions,
  type ExpertOutputs,
} from './expert-bank.js';
export {
  FeatureEncoder,
  type FeatureEncoderOptions,
  type FeatureBatch,
  type CategoricalField,
  type NumericField,
} from './feature-encoder.js';
export { applyActivation, type Activation } from './activation.js';
export { createParameter, createBuffer, type TensorPlacement } from './parameter.js';
export { copyInto } from './in-place.js';
export {
  markLazyRows,
  isLazyRows,
  touchedRows,
  touchedRowCount,
  paddedTouchedRows,
  setRowInput,
  rowInput,
  clearTouchedRows,
  SKIP_ROW,
} from './sparse-rows.js';
export * as init from './init.js';
