export { SeededRandom } from './random.js';
export type {
  ColumnRef,
  TextFormat,
  ColumnSpec,
  CategoricalColumn,
  NumericColumn,
  LabelColumn,
  IgnoredColumn,
  TableSpec,
  BadRowPolicy,
  LabelKind,
  TaskRelation,
} from './schema.js';
export { DataFormatError, type ReadReport, type BadRowRecord } from './errors.js';
export { Vocabulary, OOV_ID, type VocabularyJSON } from './vocabulary.js';
export { RunningMoments, type NumericStatsJSON } from './numeric-stats.js';
export {
  FittedSchema,
  type FittedSchemaJSON,
  type CategoricalFeature,
  type NumericFeature,
  type EncodedFeatures,
} from './fitted-schema.js';
export { EncodedTable, type Batch, type BatchOptions, type TableColumns } from './table.js';
export { fitSchema, fitTable, fitTableSplit, readTable, type ReadOptions, type FractionSplit } from './table-reader.js';
export { datasetTables, type DatasetTables } from './dataset-tables.js';
export { findSplitFiles, type SplitFiles, type SplitName } from './split-files.js';
export {
  parseTableConfig,
  tableSpecFromConfig,
  resolveTableConfigPaths,
  loadTableDataset,
  type TableConfig,
  type TaskConfig,
  type ColumnConfig,
  type SplitConfig,
} from './table-config.js';
export { ConfigError } from './config-check.js';
export { streamBatches, type StreamOptions, type BatchStream } from './batch-stream.js';
export { readLines, isGzipFile, type NumberedLine, type LineReaderOptions } from './line-reader.js';
export { sha256OfContent, ChecksumError } from './checksum.js';
export * from './census/index.js';
export * from './synthetic/index.js';
export * from './movielens/index.js';
export * from './ecommerce/index.js';
