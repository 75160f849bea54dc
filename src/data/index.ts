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
  type LabelKind,
  type TaskRelation,
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
export { fitSchema, fitTable, fitTableSplit, readTable, type ReadOptions, type FractionSplit } from './tableReader.js';
export { datasetTables, type DatasetTables } from './datasetTables.js';
export { findSplitFiles, type SplitFiles, type SplitName } from './splitFiles.js';
export {
  parseTableConfig,
  tableSpecFromConfig,
  resolveTableConfigPaths,
  loadTableDataset,
  type TableConfig,
  type TaskConfig,
  type ColumnConfig,
  type SplitConfig,
} from './tableConfig.js';
export { ConfigError } from './configCheck.js';
export { streamBatches, type StreamOptions, type BatchStream } from './batchStream.js';
export { readLines, isGzipFile, type NumberedLine, type LineReaderOptions } from './lineReader.js';
export { sha256OfContent, ChecksumError } from './checksum.js';
export * from './census/index.js';
export * from './synthetic/index.js';
export * from './movielens/index.js';
export * from './ecommerce/index.js';
