/**
 * Finds the train / validation / test files of a dataset folder by name, so a folder laid out as the public
 * preprocessing scripts leave it (`train.csv`, `ali_ccp_val.csv.gz`, `aliexpress_test_sample.csv.gz`, sharded
 * `train_part1.csv` …) loads without listing files. A file belongs to a split when its name contains the split's
 * word as a whole token: train; val, valid, validation or dev; test. Shards of one split are read in name order.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type SplitName = 'train' | 'validation' | 'test';

export type SplitFiles = Record<SplitName, string[]>;

const DATA_SUFFIX = /\.(csv|tsv|txt)(\.gz)?$/i;
const SPLIT_WORDS: Record<SplitName, RegExp> = {
  train: /(^|[^a-z])train([^a-z]|$)/i,
  validation: /(^|[^a-z])(val|valid|validation|dev)([^a-z]|$)/i,
  test: /(^|[^a-z])test([^a-z]|$)/i,
};

export function findSplitFiles(dir: string, what: string): SplitFiles {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((name) => DATA_SUFFIX.test(name) && statSync(join(dir, name)).isFile())
      .sort();
  } catch (error) {
    throw new Error(
      `${what}: cannot read the folder ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  const files: SplitFiles = { train: [], validation: [], test: [] };
  for (const name of names) {
    const stem = name.replace(DATA_SUFFIX, '');
    const splits = (Object.keys(SPLIT_WORDS) as SplitName[]).filter((split) => SPLIT_WORDS[split].test(stem));
    if (splits.length > 1)
      throw new Error(`${what}: ${join(dir, name)} matches several splits (${splits.join(', ')}); rename it`);
    if (splits.length === 1) files[splits[0]].push(join(dir, name));
  }
  return files;
}
