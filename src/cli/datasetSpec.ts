/**
 * The dataset a run was trained on, as the JSON object `mtgrad train` records in the checkpoint (metadata
 * `mtgrad.dataset`), so that `mtgrad eval` reloads the same data without being told again: the dataset's name and
 * the options that select it (census group, synthetic correlation and seed, folder, row limit).
 *
 * This is the one place that turns a recorded spec back into data (loadRecordedDataset); it goes through
 * datasets.ts's loadDataset, whose spec type it mirrors.
 */
import { resolve } from 'node:path';
import { loadDataset, type Dataset, type DatasetOptions } from './datasets.js';
import { UsageError } from './args.js';

export interface RecordedDataset extends DatasetOptions {
  name: string;
}

/** The spec to record: only the keys that were given (JSON drops undefined anyway), folders made absolute. */
export function recordDataset(name: string, options: DatasetOptions): RecordedDataset {
  const spec: RecordedDataset = { name };
  for (const [key, value] of Object.entries(options) as [keyof DatasetOptions, unknown][]) {
    if (value === undefined) continue;
    Object.assign(spec, { [key]: key === 'dir' ? resolve(String(value)) : value });
  }
  return spec;
}

/** A spec read back from a checkpoint (any JSON object): its name must be a string, the rest is the loader's to check. */
export function readRecordedDataset(where: string, value: Record<string, unknown> | null | undefined): RecordedDataset | null {
  if (!value) return null;
  if (typeof value.name !== 'string') throw new UsageError(`${where}: the recorded dataset has no name (got ${JSON.stringify(value)})`);
  const spec: RecordedDataset = { name: value.name };
  const numberKeys = ['group', 'limit', 'correlation', 'seed'] as const;
  for (const key of numberKeys) {
    const v = value[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number') throw new UsageError(`${where}: the recorded dataset's '${key}' must be a number, got ${JSON.stringify(v)}`);
    spec[key] = v;
  }
  for (const key of ['dir', 'url'] as const) {
    const v = value[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new UsageError(`${where}: the recorded dataset's '${key}' must be a string, got ${JSON.stringify(v)}`);
    spec[key] = v;
  }
  return spec;
}

export function loadRecordedDataset(spec: RecordedDataset): Promise<Dataset> {
  const { name, ...options } = spec;
  return loadDataset(name, options);
}
