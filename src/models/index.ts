/** mtgrad.models — the multi-task model zoo, each model faithful to its paper (see each file's header). */
export { createModel, isModelName, MODEL_NAMES, type ModelName, type ModelOf } from './registry.js';
export { MultiTaskModel, type ModelPlacement } from './multi-task-model.js';
export { supervisedTasks, weightTaskLosses, type TaskModel, type ParamGroups, type TaskTensors } from './task-model.js';
export {
  inputFromColumns,
  describeInput,
  encodeInput,
  type ModelInput,
  type TabularInput,
  type TabularInputSpec,
  type UserItemInput,
  type InputSpec,
  type InputKind,
  type EncodedColumns,
  type FeaturesConfig,
} from './inputs.js';
export { isSupervised, type TaskSpec, type TaskKind } from './tasks.js';
export { SingleTask } from './single-task.js';
export { SharedBottom } from './shared-bottom.js';
export { MMoE } from './mmoe.js';
export { OMoE } from './omoe.js';
export { CGC } from './cgc.js';
export { PLE, ExtractionLevel } from './ple.js';
export { ESMM, productLogit } from './esmm.js';
export { AITM, AdaptiveInformationTransfer } from './aitm.js';
export { RankAndRate, rnrTrainingRows, type RnrInput, type RnrRows } from './rnr.js';
export { MRAN } from './mran.js';
export { Tower, Gate, mixExperts, mixExpertsPerTask, concatExperts } from './blocks.js';
