/** The used columns of a spec grouped by role, in spec order: that order is the feature order of every batch. */
import {
  validateSpec,
  type CategoricalColumn,
  type LabelColumn,
  type NumericColumn,
  type TableSpec,
} from './schema.js';

export interface ColumnPlan {
  categorical: CategoricalColumn[];
  numeric: NumericColumn[];
  labels: LabelColumn[];
}

export function planColumns(spec: TableSpec): ColumnPlan {
  validateSpec(spec);
  const plan: ColumnPlan = { categorical: [], numeric: [], labels: [] };
  for (const column of spec.columns) {
    if (column.role === 'categorical') plan.categorical.push(column);
    else if (column.role === 'numeric') plan.numeric.push(column);
    else if (column.role === 'label') plan.labels.push(column);
  }
  return plan;
}
