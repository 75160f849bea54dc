/** Hyper-parameter checks shared by the optimizers; messages name the optimizer, the group and the value. */
export function checkNonNegative(op: string, where: string, key: string, v: unknown): void {
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))
    throw new Error(`${op}: ${where}: ${key} must be a finite number >= 0, got ${String(v)}`);
}

export function checkInUnit(op: string, where: string, key: string, v: unknown): void {
  if (typeof v !== 'number' || !(v >= 0 && v < 1))
    throw new Error(`${op}: ${where}: ${key} must be in [0, 1), got ${String(v)}`);
}

export function checkBoolean(op: string, where: string, key: string, v: unknown): void {
  if (typeof v !== 'boolean') throw new Error(`${op}: ${where}: ${key} must be a boolean, got ${String(v)}`);
}
