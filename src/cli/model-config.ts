/**
 * Builds a zoo model's JSON config from a dataset and the command's flags, and says which dataset label each
 * model task reads. Every model of the zoo runs from the command line on the data it makes sense for:
 *
 *  - tabular models (singleTask, sharedBottom, omoe, mmoe, cgc, ple, mran): any dataset; the input fields come
 *    from the fitted schema (one embedding per categorical column, numeric columns as they are: the loader
 *    standardised them already), the tasks from the dataset;
 *  - esmm, aitm: a dataset with a click → conversion cascade (`relations: [{ kind: 'cascade', parent, child }]`,
 *    child ⊂ parent, the child labelled over all impressions). ESMM: ctr ← parent, ctcvr ← child, cvr has no
 *    label (it is learnt through ctcvr); AITM: the funnel [parent, child] as its tasks;
 *  - rnr: user–item data (categorical columns 0 and 1 named user… and item…/movie…), a binary ranking task and
 *    a regression rating task: rank ← the binary task, rating ← the regression task.
 * Otherwise the error is one line naming the data kind the model needs. Sizes come from flags the model
 * understands; `--model-config` (JSON) is merged last, for any other key (the model rejects unknown keys by name).
 */
import type { Dataset } from './datasets.js';
import { MODEL_NAMES } from '../models/registry.js';
import { UsageError } from './args.js';
import type { LabelSource } from '../infer/label-source.js';

export const CLI_MODELS = MODEL_NAMES;

/** child ⊂ parent: every positive of the child is a positive of the parent (conversion ⊂ click). */
export interface CascadeRelation {
  kind: 'cascade';
  parent: string;
  child: string;
}

/** What building a model needs of a dataset (a loaded Dataset; `relations` where the data declares them). */
export type ModelData = Pick<Dataset, 'name' | 'tasks' | 'kinds' | 'schema'> & {
  relations?: readonly CascadeRelation[];
};

export interface ModelPlan {
  config: Record<string, unknown>;
  /** Model task → dataset label, for the tasks whose label has another name (or is restricted to some rows). */
  labels: Record<string, LabelSource>;
}

export interface SizeFlags {
  experts?: number;
  expertDims?: number[];
  towerDims?: number[];
  embeddingDim?: number;
  extra?: Record<string, unknown>;
}

/** The defaults of `mtgrad train` (documented in its --help): sized to train census in minutes on 2 cores. */
export const DEFAULT_SIZES = { experts: 8, expertDims: [16], towerDims: [8], embeddingDim: 4 } as const;

/** Which size flags map to which config key, per model. */
const SIZE_KEYS: Record<string, Partial<Record<'experts' | 'expertDims' | 'towerDims', string>>> = {
  mmoe: { experts: 'numExperts', expertDims: 'expertDims', towerDims: 'towerDims' },
  omoe: { experts: 'numExperts', expertDims: 'expertDims', towerDims: 'towerDims' },
  cgc: { experts: 'sharedExperts', expertDims: 'expertDims', towerDims: 'towerDims' },
  ple: { experts: 'sharedExperts', expertDims: 'expertDims', towerDims: 'towerDims' },
  sharedBottom: { expertDims: 'bottomDims', towerDims: 'towerDims' },
  singleTask: { expertDims: 'hiddenDims' },
  aitm: { towerDims: 'towerDims' },
  mran: { towerDims: 'towerDims' },
  esmm: {},
  rnr: {},
};

/** Checked before any data is loaded, so a typo fails at once. */
export function checkModelName(model: string): void {
  if (!(CLI_MODELS as readonly string[]).includes(model))
    throw new UsageError(`--model must be one of ${CLI_MODELS.join(', ')}, got '${model}'`);
}

/** The cascade the data declares, as a funnel [first, …, last] (e.g. [click, conversion]), or null. */
export function cascadeFunnel(data: ModelData): string[] | null {
  const cascades = (data.relations ?? []).filter((r) => r.kind === 'cascade');
  if (cascades.length === 0) return null;
  const children = new Set(cascades.map((r) => r.child));
  const top = cascades.find((r) => !children.has(r.parent));
  if (!top) throw new UsageError(`${data.name}: its cascade relations form a cycle`);
  const funnel = [top.parent];
  for (
    let next = cascades.find((r) => r.parent === top.parent);
    next;
    next = cascades.find((r) => r.parent === funnel[funnel.length - 1])
  ) {
    if (funnel.includes(next.child)) throw new UsageError(`${data.name}: its cascade relations form a cycle`);
    funnel.push(next.child);
  }
  for (const task of funnel) {
    if (!data.tasks.includes(task) || data.kinds[task] !== 'binary')
      throw new UsageError(
        `${data.name}: cascade task '${task}' is not a binary task of the data (tasks: ${data.tasks.join(', ')})`,
      );
  }
  return funnel;
}

const USER_COLUMN = /^user(_?id)?$/i;
const ITEM_COLUMN = /^(item|movie)(_?id)?$/i;

/** The user and item columns (categorical columns 0 and 1) of user–item data, or null. */
export function userItemColumns(
  data: ModelData,
): { user: { vocabularySize: number }; item: { vocabularySize: number } } | null {
  const cat = data.schema.categoricalFeatures;
  if (cat.length < 2 || !USER_COLUMN.test(cat[0].name) || !ITEM_COLUMN.test(cat[1].name)) return null;
  return { user: cat[0], item: cat[1] };
}

function needs(model: string, data: ModelData, what: string): never {
  throw new UsageError(`--model ${model} needs ${what}; ${data.name} has none`);
}

export function buildModelConfig(model: string, data: ModelData, flags: SizeFlags, explicit: Set<string>): ModelPlan {
  checkModelName(model);
  const schema = data.schema;
  const labels: Record<string, LabelSource> = {};
  const features = {
    categorical: schema.categoricalFeatures.map((f) => ({ name: f.name, vocabularySize: f.vocabularySize })),
    numeric: schema.numericFeatures.map((f) => ({ name: f.name })),
    ...(schema.nCat > 0 ? { embeddingDim: flags.embeddingDim ?? DEFAULT_SIZES.embeddingDim } : {}),
  };
  let config: Record<string, unknown>;
  if (model === 'esmm') {
    const funnel =
      cascadeFunnel(data) ??
      needs(
        model,
        data,
        'click → conversion data: a cascade relation conversion ⊂ click (e.g. --data aliccp, or a table config with relations)',
      );
    labels.ctr = funnel[0];
    labels.ctcvr = funnel[funnel.length - 1];
    // pCVR has no loss, but is scored as in the paper: conversion on the clicked impressions.
    labels.cvr = { label: funnel[funnel.length - 1], where: funnel[funnel.length - 2] };
    config = { features };
    // ESMM has two towers of the same shape: --tower-dims sets both.
    if (explicit.has('tower-dims') && flags.towerDims)
      Object.assign(config, { ctrTowerDims: flags.towerDims, cvrTowerDims: flags.towerDims });
  } else if (model === 'aitm') {
    const funnel =
      cascadeFunnel(data) ??
      needs(
        model,
        data,
        'funnel data: a cascade relation conversion ⊂ click (e.g. --data aliexpress, or a table config with relations)',
      );
    config = { features, tasks: funnel.map((name) => ({ name })) };
  } else if (model === 'rnr') {
    const columns = userItemColumns(data);
    const rank = data.tasks.find((t) => data.kinds[t] === 'binary');
    const rating = data.tasks.find((t) => data.kinds[t] === 'regression');
    if (!columns || !rank || !rating)
      needs(
        model,
        data,
        'user–item data: categorical columns user and item first, a binary ranking task and a regression rating task (e.g. --data movielens)',
      );
    labels.rank = rank;
    labels.rating = rating;
    config = {
      numUsers: columns.user.vocabularySize,
      numItems: columns.item.vocabularySize,
      ...(flags.embeddingDim !== undefined ? { embeddingDim: flags.embeddingDim } : {}),
    };
  } else {
    config = { features, tasks: data.tasks.map((name) => ({ name, type: data.kinds[name] })) };
  }
  if (model === 'mran' && schema.nCat > 0) {
    // MRAN's feature tokens all have width tokenDim, so embeddings must have that width too.
    const tokenDim = flags.embeddingDim ?? (flags.extra?.tokenDim as number | undefined) ?? 16;
    (config.features as Record<string, unknown>).embeddingDim = tokenDim;
    config.tokenDim = tokenDim;
  }
  const keys = SIZE_KEYS[model];
  const sizes: Record<'experts' | 'expertDims' | 'towerDims', unknown> = {
    experts: flags.experts ?? DEFAULT_SIZES.experts,
    expertDims: flags.expertDims ?? [...DEFAULT_SIZES.expertDims],
    towerDims: flags.towerDims ?? [...DEFAULT_SIZES.towerDims],
  };
  const flagName = { experts: 'experts', expertDims: 'expert-dims', towerDims: 'tower-dims' } as const;
  for (const size of ['experts', 'expertDims', 'towerDims'] as const) {
    const key = keys[size];
    if (model === 'esmm' && size === 'towerDims') continue;
    if (key) {
      // Defaults are applied to MoE models only; other models keep their papers' defaults unless asked.
      if (explicit.has(flagName[size]) || model === 'mmoe' || model === 'omoe') config[key] = sizes[size];
    } else if (explicit.has(flagName[size])) {
      throw new UsageError(
        `--${flagName[size]} does not apply to model '${model}' (use --model-config for its own keys)`,
      );
    }
  }
  return { config: { ...config, ...(flags.extra ?? {}) }, labels };
}

export function parseModelConfigFlag(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--model-config must be a JSON object: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError('--model-config must be a JSON object');
  return value as Record<string, unknown>;
}
