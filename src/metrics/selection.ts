/**
 * Shared input handling for every metric: arrays of equal length plus an optional task-space mask.
 * A mask entry that is non-zero keeps the sample; zero drops it (the task's label is undefined there).
 * Metrics are computed over the whole split in one call, never averaged per batch.
 */

/** Any array of numbers the metrics accept: typed arrays or plain arrays. */
export type NumberArray = ArrayLike<number>;

/** Throws unless all arrays have the same length as the first one. */
export function checkSameLength(metric: string, named: Record<string, NumberArray | undefined>): number {
  let expected = -1;
  let firstName = '';
  for (const [name, values] of Object.entries(named)) {
    if (values === undefined) continue;
    if (expected < 0) {
      expected = values.length;
      firstName = name;
    } else if (values.length !== expected) {
      throw new RangeError(`${metric}: ${name} has length ${values.length}, but ${firstName} has length ${expected}`);
    }
  }
  return Math.max(expected, 0);
}

/** Indices of the samples the mask keeps (all of them when there is no mask). */
export function selectedIndices(length: number, mask?: NumberArray): Int32Array {
  if (mask === undefined) {
    const all = new Int32Array(length);
    for (let i = 0; i < length; i++) all[i] = i;
    return all;
  }
  let count = 0;
  for (let i = 0; i < length; i++) if (mask[i] !== 0) count++;
  const kept = new Int32Array(count);
  let k = 0;
  for (let i = 0; i < length; i++) if (mask[i] !== 0) kept[k++] = i;
  return kept;
}

/** NaN in a score or label would silently poison a mean or a sort, so it is rejected with its index. */
export function assertNoNaN(metric: string, name: string, values: NumberArray, indices: Int32Array): void {
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (Number.isNaN(values[i])) throw new RangeError(`${metric}: ${name}[${i}] is NaN`);
  }
}

/** Binary labels must be exactly 0 or 1; anything else is a caller bug (e.g. a rating passed as a label). */
export function assertBinaryLabels(metric: string, labels: NumberArray, indices: Int32Array): void {
  for (let k = 0; k < indices.length; k++) {
    const y = labels[indices[k]];
    if (y !== 0 && y !== 1) throw new RangeError(`${metric}: labels[${indices[k]}] = ${y}, expected 0 or 1`);
  }
}
