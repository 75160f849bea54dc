/**
 * Exact in-place copy into an existing tensor's storage. Parameters must keep their identity (optimizers and
 * routing rules hold them), so loading a state dict or renormalising learnable task weights writes into the
 * existing storage instead of swapping tensors.
 *
 * The kernel interface has no "assign"; the one in-place primitive every backend implements is the optimizer
 * update. sgdUpdate on its first momentum step stores the gradient into the momentum buffer verbatim
 * (buf = d = grad when weightDecay = 0), so passing the destination as the momentum buffer and the source as the
 * gradient copies bit for bit. The kernel's `param` argument is a scratch buffer that lr = 0 leaves untouched.
 * The scratch holds −0, not +0: the native and WebGPU kernels compute d = grad + weightDecay·param even when
 * weightDecay is 0, and grad + 0·(+0) turns a −0 in the source into +0, while grad + 0·(−0) = grad + (−0) = grad
 * for every grad (−0 included).
 */
import type { Tensor } from '../tensor/tensor.js';
import { engine } from '../tensor/engine.js';
import { fmt, shapesEqual } from '../tensor/shape.js';

export function copyInto(dst: Tensor, src: Tensor, what = 'copyInto'): void {
  dst.assertLive(what);
  src.assertLive(what);
  if (!shapesEqual(dst.shape, src.shape))
    throw new Error(`${what}: source ${fmt(src.shape)} does not match destination ${fmt(dst.shape)}`);
  if (dst.dtype !== src.dtype) throw new Error(`${what}: source is ${src.dtype}, destination is ${dst.dtype}`);
  if (dst.backendName !== src.backendName) {
    throw new Error(
      `${what}: source lives on backend '${src.backendName}', destination on '${dst.backendName}'; move it with await t.to('${dst.backendName}')`,
    );
  }
  if (dst.dtype === 'int32')
    throw new Error(
      `${what}: int32 tensors cannot be written in place (the update kernels are float-only); replace the tensor instead`,
    );
  if (dst.size === 0) return;
  const be = engine.backendOf(dst.storage);
  const scratch = be.fill(dst.size, -0, dst.dtype);
  try {
    be.sgdUpdate(scratch, src.storage, dst.storage, {
      lr: 0,
      momentum: 1,
      dampening: 0,
      nesterov: false,
      weightDecay: 0,
      firstStep: true,
    });
  } finally {
    be.dispose(scratch);
  }
  dst.version++;
}
