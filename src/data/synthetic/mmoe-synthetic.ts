/**
 * The MMoE paper's synthetic two-task regression data (Ma et al., KDD 2018, §3.2), following
 * ../shared/data/SYNTHETIC.md: two orthonormal directions u1, u2; weights w1 = c·u1 and
 * w2 = c·(p·u1 + sqrt(1 − p²)·u2), so cos(w1, w2) = p (the paper's "task correlation"); inputs x ~ N(0, I_d);
 * labels y_k = w_kᵀx + Σ_i sin(α_i·w_kᵀx + β_i) + ε_k with the same α, β for both tasks.
 *
 * The paper leaves c, m, α, β and the noise open. Two presets reproduce public re-implementations:
 * - 'dselect-k' (default; Google Research's DSelect-k generator): c = 1, m = 10, α_i = i, β_i = (i − 1)², noise std 0.01.
 * - 'keras-mmoe': c = 0.3, m = 5, α and β drawn once per dataset from N(0, 1), noise std 0.1.
 * Explicit options override the preset. Because of the sinusoids the label correlation is well below p
 * (for 'dselect-k', p = 0.5 gives about 0.218); with m = 0 it is c²p / (c² + σ²).
 *
 * Random draws, in this order, from one SeededRandom(seed): α then β (keras-mmoe preset only, unless given),
 * g1 and g2 (d normals each; redrawn while the orthogonalised g2 is numerically zero), then per row d inputs
 * followed by the two noise draws.
 */
import { SeededRandom } from '../random.js';
import { EncodedTable } from '../table.js';

export type MmoeSyntheticPreset = 'dselect-k' | 'keras-mmoe';

export interface MmoeSyntheticOptions {
  n: number;
  /** The task correlation p = cos(w1, w2), in [−1, 1]. */
  p: number;
  seed: number;
  d?: number;
  preset?: MmoeSyntheticPreset;
  c?: number;
  m?: number;
  alphas?: number[];
  betas?: number[];
  noiseStd?: number;
}

export interface MmoeSyntheticData {
  n: number;
  d: number;
  p: number;
  c: number;
  noiseStd: number;
  alphas: number[];
  betas: number[];
  u1: Float64Array;
  u2: Float64Array;
  w1: Float64Array;
  w2: Float64Array;
  /** Row-major [n, d]. */
  X: Float32Array;
  y1: Float32Array;
  y2: Float32Array;
  /** The same data as a table: num = X, labels { task1: y1, task2: y2 }, no categorical features. */
  table: EncodedTable;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>, bOffset = 0): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[bOffset + i];
  return sum;
}

function normals(rng: SeededRandom, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal();
  return out;
}

/** Two orthonormal vectors by Gram–Schmidt on two Gaussian vectors. */
function orthonormalPair(rng: SeededRandom, d: number): [Float64Array, Float64Array] {
  if (d < 2) throw new RangeError('generateMmoeSynthetic: d must be at least 2 to hold two orthogonal directions');
  for (;;) {
    const g1 = normals(rng, d);
    const g2 = normals(rng, d);
    const norm1 = Math.sqrt(dot(g1, g1));
    if (norm1 < 1e-12) continue;
    const u1 = g1.map((v) => v / norm1);
    const projection = dot(u1, g2);
    const v = g2.map((value, i) => value - projection * u1[i]);
    // A second pass removes the rounding left by the first, so |u1·u2| is at the 1e-16 level.
    const residual = dot(u1, v);
    for (let i = 0; i < d; i++) v[i] -= residual * u1[i];
    const norm2 = Math.sqrt(dot(v, v));
    if (norm2 < 1e-12) continue;
    return [u1, v.map((value) => value / norm2)];
  }
}

export function generateMmoeSynthetic(options: MmoeSyntheticOptions): MmoeSyntheticData {
  const { n, p, seed, d = 100, preset = 'dselect-k' } = options;
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`generateMmoeSynthetic: n must be a non-negative integer, got ${n}`);
  if (!(p >= -1 && p <= 1)) throw new RangeError(`generateMmoeSynthetic: p must be in [-1, 1], got ${p}`);
  const rng = new SeededRandom(seed);
  const keras = preset === 'keras-mmoe';
  const c = options.c ?? (keras ? 0.3 : 1);
  const m = options.m ?? options.alphas?.length ?? (keras ? 5 : 10);
  const noiseStd = options.noiseStd ?? (keras ? 0.1 : 0.01);
  const alphas =
    options.alphas ??
    (keras ? Array.from({ length: m }, () => rng.normal()) : Array.from({ length: m }, (_, i) => i + 1));
  const betas =
    options.betas ??
    (keras ? Array.from({ length: m }, () => rng.normal()) : Array.from({ length: m }, (_, i) => i * i));
  if (alphas.length !== m || betas.length !== m)
    throw new RangeError(`generateMmoeSynthetic: need ${m} alphas and betas`);

  const [u1, u2] = orthonormalPair(rng, d);
  const q = Math.sqrt(Math.max(0, 1 - p * p));
  const w1 = u1.map((v) => c * v);
  const w2 = u1.map((v, i) => c * (p * v + q * u2[i]));

  const X = new Float32Array(n * d);
  const y1 = new Float32Array(n);
  const y2 = new Float32Array(n);
  const x = new Float64Array(d);
  const label = (z: number, noise: number): number => {
    let y = z;
    for (let i = 0; i < m; i++) y += Math.sin(alphas[i] * z + betas[i]);
    return y + noiseStd * noise;
  };
  for (let row = 0; row < n; row++) {
    for (let i = 0; i < d; i++) x[i] = rng.normal();
    X.set(x, row * d);
    const z1 = dot(w1, x);
    const z2 = dot(w2, x);
    y1[row] = label(z1, rng.normal());
    y2[row] = label(z2, rng.normal());
  }
  const table = new EncodedTable({
    size: n,
    nCat: 0,
    nNum: d,
    cat: new Int32Array(0),
    num: X,
    labels: { task1: y1, task2: y2 },
  });
  return { n, d, p, c, noiseStd, alphas, betas, u1, u2, w1, w2, X, y1, y2, table };
}
