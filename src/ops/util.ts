/** Shared plumbing for ops: operand checks, scalar promotion, kernel dispatch. */
import type { Backend, DType, Storage } from '../backends/kernels.js';
import { engine } from '../tensor/engine.js';
import { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';

/** A JS number is accepted wherever a tensor operand is. */
export type TensorLike = Tensor | number;

export function backendOf(op: string, ...ts: Tensor[]): Backend {
  const first = ts[0];
  for (const t of ts) {
    t.assertLive(op);
    if (t.storage.backend !== first.storage.backend) {
      throw new Error(
        `${op}: operands live on different backends ('${first.storage.backend}' and '${t.storage.backend}'); move one with await t.to('${first.storage.backend}')`,
      );
    }
  }
  return engine.backendOf(first.storage);
}

export function wrap(s: Storage, shape: readonly number[]): Tensor {
  return new Tensor(s, shape, s.dtype);
}

/** A 0-d tensor holding v on backend b. */
export function scalarOn(b: Backend, v: number, dtype: DType): Tensor {
  return wrap(b.fill(1, v, dtype), []);
}

/** Turns numbers into 0-d tensors of the tensor operand's dtype and backend; checks dtypes and backends agree. */
export function operands(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') {
    throw new Error(`${op}: at least one operand must be a tensor (got two numbers)`);
  }
  if (typeof a === 'number') {
    const bt = b as Tensor;
    return [scalarOn(backendOf(op, bt), a, bt.dtype), bt];
  }
  if (typeof b === 'number') return [a, scalarOn(backendOf(op, a), b, a.dtype)];
  backendOf(op, a, b);
  if (a.dtype !== b.dtype) {
    throw new Error(
      `${op}: dtype mismatch: ${fmt(a.shape)} ${a.dtype} and ${fmt(b.shape)} ${b.dtype} (cast one explicitly with .cast())`,
    );
  }
  return [a, b];
}

export function assertFloat(op: string, t: Tensor): void {
  if (t.dtype === 'int32')
    throw new Error(`${op}: expected a float tensor, got ${fmt(t.shape)} int32 (cast it with .cast('float32'))`);
}

export function assertDtype(op: string, t: Tensor, dtype: DType, what = 'input'): void {
  if (t.dtype !== dtype) throw new Error(`${op}: ${what} must be ${dtype}, got ${fmt(t.shape)} ${t.dtype}`);
}

export function assertRank(op: string, t: Tensor, ranks: number[], what = 'input'): void {
  if (!ranks.includes(t.ndim)) {
    throw new Error(`${op}: ${what} must have rank ${ranks.join(' or ')}, got shape ${fmt(t.shape)}`);
  }
}

export function toTensor(op: string, v: TensorLike, like: Tensor): Tensor {
  return typeof v === 'number' ? scalarOn(backendOf(op, like), v, like.dtype) : v;
}
