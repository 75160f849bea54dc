export { SeededRandom } from './random.js';
export {
  type ColumnRef,
  type TextFormat,
  type ColumnSpec,
  type CategoricalColumn,
  type NumericColumn,
  type LabelColumn,
  type IgnoredColumn,
  type TableSpec,
  type BadRowPolicy,
} from './schema.js';
export { DataFormatError, type ReadReport, type BadRowRecord } from './errors.js';
export { Vocabulary, OOV_ID, type VocabularyJSON } from './vocabulary.js';
export { RunningMoments, type NumericStatsJSON } from './numericStats.js';
export {
  FittedSchema,
  type FittedSchemaJSON,
  type CategoricalFeature,
  type NumericFeature,
  type EncodedFeatures,
} from './fittedSchema.js';
export { EncodedTable, type Batch, type BatchOptions, type TableColumns } from './table.js';
export { fitSchema, fitTable, readTable, type ReadOptions } from './tableReader.js';
export { streamBatches, type StreamOptions, type BatchStream } from './batchStream.js';
export { readLines, isGzipFile, type NumberedLine, type LineReaderOptions } from './lineReader.js';
export { sha256OfContent, ChecksumError } from './checksum.js';
export * from './census/index.js';
export * from './synthetic/index.js';
export * from './movielens/index.js';
