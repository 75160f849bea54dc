/** createModel(name, config): every model of the zoo by its registry name, from its plain JSON config. */
import { SingleTask } from './single-task.js';
import { SharedBottom } from './shared-bottom.js';
import { MMoE } from './mmoe.js';
import { OMoE } from './omoe.js';
import { CGC } from './cgc.js';
import { PLE } from './ple.js';
import { ESMM } from './esmm.js';
import { AITM } from './aitm.js';
import { RankAndRate } from './rnr.js';
import { MRAN } from './mran.js';
import type { ModelPlacement } from './multi-task-model.js';

const CONSTRUCTORS = {
  singleTask: SingleTask,
  sharedBottom: SharedBottom,
  omoe: OMoE,
  mmoe: MMoE,
  cgc: CGC,
  ple: PLE,
  esmm: ESMM,
  aitm: AITM,
  rnr: RankAndRate,
  mran: MRAN,
} as const;

export type ModelName = keyof typeof CONSTRUCTORS;
export type ModelOf<N extends ModelName> = InstanceType<(typeof CONSTRUCTORS)[N]>;

export const MODEL_NAMES = Object.keys(CONSTRUCTORS) as readonly ModelName[];

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

export function createModel<N extends ModelName>(name: N, config: unknown, place: ModelPlacement = {}): ModelOf<N> {
  const Ctor = (CONSTRUCTORS as Record<string, new (c: unknown, p: ModelPlacement) => unknown>)[name];
  if (!Ctor)
    throw new Error(`createModel: unknown model '${String(name)}' (expected one of ${MODEL_NAMES.join(', ')})`);
  return new Ctor(config, place) as ModelOf<N>;
}
