/**
 * Census-Income (KDD) as the MMoE paper uses it (Ma et al., KDD 2018, §6.3): 199,523 training rows; the
 * 99,762-row test file split 1:1 into validation and test. The paper's random split was not published, so ours is
 * deterministic: 0-based row i of census-income.test goes to validation when i is even and to test when i is odd
 * (49,881 rows each). Categorical vocabularies and numeric standardisation are fitted on the training file only.
 * The sha256 of each file's uncompressed content is checked while it is parsed.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChecksumError, sha256OfContent } from '../checksum.js';
import type { FittedSchema } from '../fitted-schema.js';
import type { EncodedTable } from '../table.js';
import { fitTable, readTable } from '../table-reader.js';
import {
  CENSUS_TASKS,
  CENSUS_TEST_FILE,
  CENSUS_TRAIN_FILE,
  censusSpec,
  type CensusFile,
  type CensusGroup,
} from './census-columns.js';

export interface LoadCensusOptions {
  group: CensusGroup;
  /** Folder holding census-income.data.gz and census-income.test.gz. Default: the copy bundled with the repository. */
  dir?: string;
  /** Categorical values rarer than this in training map to OOV. Default 1. */
  minFrequency?: number;
}

export interface CensusData {
  group: CensusGroup;
  /** Task names in label order: group 1 ['income', 'never_married'], group 2 ['education', 'never_married']. */
  tasks: string[];
  schema: FittedSchema;
  train: EncodedTable;
  validation: EncodedTable;
  test: EncodedTable;
}

/** Finds the bundled data folder by walking up from this module (works from src/ under tsx and from dist/). */
export function bundledCensusDir(): string | null {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 6; level++) {
    const candidate = join(directory, 'data', 'census-income');
    if (existsSync(join(candidate, CENSUS_TRAIN_FILE.name))) return candidate;
    directory = dirname(directory);
  }
  return null;
}

/** Parses a file while hashing its decompressed bytes; a checksum mismatch wins over any parse error it causes. */
async function parseVerified<T>(
  path: string,
  file: CensusFile,
  parse: (onBytes: (p: string, chunk: Buffer) => void) => Promise<T>,
): Promise<T> {
  const hash = createHash('sha256');
  let result: T;
  try {
    result = await parse((_path, chunk) => hash.update(chunk));
  } catch (error) {
    const actual = await sha256OfContent(path).catch(() => 'unreadable');
    if (actual !== file.contentSha256) throw new ChecksumError(path, file.contentSha256, actual);
    throw error;
  }
  const actual = hash.digest('hex');
  if (actual !== file.contentSha256) throw new ChecksumError(path, file.contentSha256, actual);
  return result;
}

export async function loadCensus(options: LoadCensusOptions): Promise<CensusData> {
  const { group, minFrequency = 1 } = options;
  if (group !== 1 && group !== 2) throw new RangeError(`loadCensus: group must be 1 or 2, got ${String(group)}`);
  const dir = options.dir ?? bundledCensusDir();
  if (dir === null) {
    throw new Error(
      'loadCensus: the bundled Census-Income data is not part of this installation; call fetchCensus(cacheDir) and pass { dir: cacheDir }',
    );
  }
  const trainPath = resolve(dir, CENSUS_TRAIN_FILE.name);
  const testPath = resolve(dir, CENSUS_TEST_FILE.name);
  for (const path of [trainPath, testPath]) {
    if (!existsSync(path)) throw new Error(`loadCensus: ${path} does not exist`);
  }
  const spec = censusSpec(group, minFrequency);

  const { schema, table: train } = await parseVerified(trainPath, CENSUS_TRAIN_FILE, (onBytes) =>
    fitTable(trainPath, spec, { onBytes }),
  );
  const { table: heldOut } = await parseVerified(testPath, CENSUS_TEST_FILE, (onBytes) =>
    readTable(testPath, schema, { onBytes }),
  );

  const even: number[] = [];
  const odd: number[] = [];
  const lines = heldOut.sourceLines!;
  for (let r = 0; r < heldOut.size; r++) ((lines[r] - 1) % 2 === 0 ? even : odd).push(r);
  return {
    group,
    tasks: [...CENSUS_TASKS[group]],
    schema,
    train,
    validation: heldOut.subset(even),
    test: heldOut.subset(odd),
  };
}
