/**
 * A loaded dataset as the data layer returns it: three encoded splits, the fitted schema that encoded them (saved
 * with a model so inference encodes raw rows the same way), and the tasks with their kinds and relations, all read
 * off the schema's label columns so they can never disagree with the tables.
 */
import type { FittedSchema } from './fitted-schema.js';
import { labelKind, type LabelKind, type TaskRelation } from './schema.js';
import type { EncodedTable } from './table.js';

export interface DatasetTables {
  /** Task names in label order (the order of `schema.tasks`). */
  tasks: string[];
  kinds: Record<string, LabelKind>;
  /** Cascades between tasks (child ⊂ parent), checked on every row at load. */
  relations: TaskRelation[];
  schema: FittedSchema;
  train: EncodedTable;
  validation: EncodedTable;
  test: EncodedTable;
}

export function datasetTables(
  schema: FittedSchema,
  train: EncodedTable,
  validation: EncodedTable,
  test: EncodedTable,
): DatasetTables {
  const labels = schema.plan.labels;
  return {
    tasks: labels.map((c) => c.task),
    kinds: Object.fromEntries(labels.map((c) => [c.task, labelKind(c)])),
    relations: (schema.spec.relations ?? []).map((r) => ({ ...r })),
    schema,
    train,
    validation,
    test,
  };
}
