/**
 * Builds a zoo model's JSON config from a dataset and the command's flags: the input fields come from the fitted
 * schema (one embedding per categorical column, numeric columns as they are: the loader standardised them
 * already), the tasks from the dataset, the sizes from flags the model understands. `--model-config` (JSON) is
 * merged last, for any other key; the model itself rejects unknown keys by name.
 */
import type { Dataset } from './datasets.js';
import { UsageError } from './args.js';

export const CLI_MODELS = ['mmoe', 'omoe', 'sharedBottom', 'singleTask', 'cgc', 'ple', 'aitm', 'mran'] as const;

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
};

/** Checked before any data is loaded, so a typo fails at once. */
export function checkModelName(model: string): void {
  if (!(CLI_MODELS as readonly string[]).includes(model)) {
    const hint = model === 'esmm' || model === 'rnr' ? ` ('${model}' needs click/conversion or user–item data; use the library API)` : '';
    throw new UsageError(`--model must be one of ${CLI_MODELS.join(', ')}, got '${model}'${hint}`);
  }
}

export function buildModelConfig(model: string, data: Dataset, flags: SizeFlags, explicit: Set<string>): Record<string, unknown> {
  checkModelName(model);
  const schema = data.schema;
  const config: Record<string, unknown> = {
    features: {
      categorical: schema.categoricalFeatures.map((f) => ({ name: f.name, vocabularySize: f.vocabularySize })),
      numeric: schema.numericFeatures.map((f) => ({ name: f.name })),
      ...(schema.nCat > 0 ? { embeddingDim: flags.embeddingDim ?? DEFAULT_SIZES.embeddingDim } : {}),
    },
    tasks: data.tasks.map((name) => ({ name, type: data.kinds[name] })),
  };
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
    if (key) {
      // Defaults are applied to MoE models only; other models keep their papers' defaults unless asked.
      if (explicit.has(flagName[size]) || model === 'mmoe' || model === 'omoe') config[key] = sizes[size];
    } else if (explicit.has(flagName[size])) {
      throw new UsageError(`--${flagName[size]} does not apply to model '${model}' (use --model-config for its own keys)`);
    }
  }
  return { ...config, ...(flags.extra ?? {}) };
}

export function parseModelConfigFlag(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--model-config must be a JSON object: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('--model-config must be a JSON object');
  return value as Record<string, unknown>;
}
