/**
 * Gradient clipping over the .grad of a parameter list, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_.
 * The clipped gradients replace the old ones (which are disposed); parameters without a gradient are skipped.
 */
import type { Tensor } from '../tensor/tensor.js';
import { keep, tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/mode.js';
import { abs, add, clamp, div, minimum, mul, pow, square } from '../ops/elementwise.js';
import { max, sum } from '../ops/reduce.js';
import { stack } from '../ops/shape.js';
import { full } from '../ops/creation.js';

function replaceGrad(p: Tensor, g: Tensor): void {
  const old = p.grad;
  p.grad = keep(g);
  if (old && old !== g) old.dispose();
}

function withGrads(params: Iterable<Tensor>): Tensor[] {
  return [...params].filter((p) => p.grad !== null);
}

/**
 * Scales all gradients together so that their joint p-norm (default 2; Infinity for the max norm) is at most
 * maxNorm: g ·= min(1, maxNorm / (norm + 1e-6)). Returns the norm before clipping as a 0-d tensor (read it with
 * itemSync()/item()).
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, opts: { normType?: number } = {}): Tensor {
  const normType = opts.normType ?? 2;
  if (!(maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be >= 0, got ${maxNorm}`);
  if (!(normType > 0)) throw new Error(`clipGradNorm: normType must be positive (or Infinity), got ${normType}`);
  const ps = withGrads(params);
  return tidy(() =>
    noGrad(() => {
      if (ps.length === 0) return full([], 0);
      const perParam = ps.map((p) => {
        const g = p.grad!;
        if (normType === Infinity) return max(abs(g));
        if (normType === 2) return sum(square(g));
        return sum(pow(abs(g), normType));
      });
      const stacked = stack(perParam);
      const total =
        normType === Infinity
          ? max(stacked)
          : normType === 2
            ? pow(sum(stacked), 0.5)
            : pow(sum(stacked), 1 / normType);
      const coef = minimum(div(maxNorm, add(total, 1e-6)), 1);
      for (const p of ps) replaceGrad(p, mul(p.grad!, coef));
      return total;
    }),
  );
}

/** Clamps every gradient element to [−clipValue, clipValue]. */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue >= 0)) throw new Error(`clipGradValue: clipValue must be >= 0, got ${clipValue}`);
  const ps = withGrads(params);
  tidy(() =>
    noGrad(() => {
      for (const p of ps) replaceGrad(p, clamp(p.grad!, -clipValue, clipValue));
    }),
  );
}
