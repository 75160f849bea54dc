/**
 * A click → conversion cascade with the true probabilities of every impression known, to check ESMM-style
 * entire-space estimates against the truth (and against a CVR model trained on clicked impressions only).
 *
 * Generative model, per impression:
 *   categorical field f takes a value v_f uniformly from its vocabulary; numeric features x_j ~ N(0, 1);
 *   ctrLogit = ctrBias + Σ_f a_f[v_f] + Σ_j wa_j·x_j + hiddenScale·h
 *   cvrLogit = cvrBias + Σ_f b_f[v_f] + Σ_j wb_j·x_j + hiddenScale·ρ·h   (h ~ N(0,1), never observed)
 *   pCTR = σ(ctrLogit), pCVR = σ(cvrLogit) = P(conversion | click), pCTCVR = pCTR·pCVR
 *   click ~ Bernoulli(pCTR); converted ~ Bernoulli(pCVR) if clicked, else 0.
 * The effects are drawn once per dataset, with exact geometry so that ρ (`correlation`) is exactly the
 * population correlation of the two observed logit parts, not just in expectation over datasets: for each field,
 * the centred effect vectors a_f and b_f over the vocabulary have cosine ρ and a per-value standard deviation of
 * `effectScale`; the numeric weight vectors wa and wb have cosine ρ and norm effectScale·sqrt(numericFeatures)
 * (the construction of the MMoE synthetic data). A vocabulary of 2 values or a single numeric feature has no room
 * for that; those fall back to independent draws with correlation ρ in expectation. With ρ > 0 the clicked impressions are
 * enriched in high-pCVR ones, the sample-selection bias ESMM addresses. `hiddenScale` > 0 adds an unobserved
 * confounder, so no model can reach the truth (default 0: the truth is a function of the observed features).
 *
 * Output table: categorical ids are value + 1 (0 stays the OOV id, as in loaded data); labels
 * `click` and `conversion` (= click AND converted, the CTCVR label) are defined on every impression;
 * `cvr` (= converted) has mask = click, i.e. it is only defined where there was a click.
 */
import { SeededRandom } from '../random.js';
import { EncodedTable } from '../table.js';

export interface ClickConversionOptions {
  n: number;
  seed: number;
  categoricalFields?: number;
  vocabularySize?: number;
  numericFeatures?: number;
  ctrBias?: number;
  cvrBias?: number;
  effectScale?: number;
  /** ρ in [−1, 1]: correlation between the CTR and CVR logits' observed parts. Default 0.5. */
  correlation?: number;
  hiddenScale?: number;
}

export interface ClickConversionData {
  table: EncodedTable;
  /** Embedding rows per categorical field (vocabularySize + 1 for the OOV id). */
  categoricalSizes: number[];
  truePctr: Float64Array;
  truePcvr: Float64Array;
  truePctcvr: Float64Array;
}

/**
 * Two vectors with cosine exactly ρ and root-mean-square `scale` (after centring, when `centred`).
 * Falls back to independent per-element draws when the (centred) space has fewer than two dimensions.
 */
function correlatedVectors(
  rng: SeededRandom,
  length: number,
  rho: number,
  scale: number,
  centred: boolean,
): [Float64Array, Float64Array] {
  const q = Math.sqrt(1 - rho * rho);
  const g1 = Float64Array.from({ length }, () => rng.normal());
  const g2 = Float64Array.from({ length }, () => rng.normal());
  const dimensions = centred ? length - 1 : length;
  if (dimensions < 2) {
    return [g1.map((g) => scale * g), g1.map((g, i) => scale * (rho * g + q * g2[i]))];
  }
  const centre = (v: Float64Array) => {
    if (!centred) return;
    const mean = v.reduce((s, x) => s + x, 0) / length;
    for (let i = 0; i < length; i++) v[i] -= mean;
  };
  const dot = (x: Float64Array, y: Float64Array) => x.reduce((s, v, i) => s + v * y[i], 0);
  centre(g1);
  centre(g2);
  const u1 = g1.map((v) => v / Math.sqrt(dot(g1, g1)));
  const projection = dot(u1, g2);
  const v = g2.map((x, i) => x - projection * u1[i]);
  const u2 = v.map((x) => x / Math.sqrt(dot(v, v)));
  const norm = scale * Math.sqrt(length);
  return [u1.map((x) => norm * x), u1.map((x, i) => norm * (rho * x + q * u2[i]))];
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export function generateClickConversion(options: ClickConversionOptions): ClickConversionData {
  const {
    n,
    seed,
    categoricalFields = 4,
    vocabularySize = 50,
    numericFeatures = 4,
    ctrBias = -2,
    cvrBias = -1,
    effectScale = 0.6,
    correlation = 0.5,
    hiddenScale = 0,
  } = options;
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`generateClickConversion: n must be a non-negative integer, got ${n}`);
  if (!(correlation >= -1 && correlation <= 1))
    throw new RangeError(`generateClickConversion: correlation must be in [-1, 1], got ${correlation}`);
  const rng = new SeededRandom(seed);
  const ctrEffects: Float64Array[] = [];
  const cvrEffects: Float64Array[] = [];
  for (let f = 0; f < categoricalFields; f++) {
    const [a, b] = correlatedVectors(rng, vocabularySize, correlation, effectScale, true);
    ctrEffects.push(a);
    cvrEffects.push(b);
  }
  const [ctrWeights, cvrWeights] = correlatedVectors(rng, numericFeatures, correlation, effectScale, false);

  const cat = new Int32Array(n * categoricalFields);
  const num = new Float32Array(n * numericFeatures);
  const click = new Float32Array(n);
  const conversion = new Float32Array(n);
  const cvr = new Float32Array(n);
  const truePctr = new Float64Array(n);
  const truePcvr = new Float64Array(n);
  const truePctcvr = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let ctrLogit = ctrBias;
    let cvrLogit = cvrBias;
    for (let f = 0; f < categoricalFields; f++) {
      const value = rng.nextInt(vocabularySize);
      cat[i * categoricalFields + f] = value + 1;
      ctrLogit += ctrEffects[f][value];
      cvrLogit += cvrEffects[f][value];
    }
    for (let j = 0; j < numericFeatures; j++) {
      const x = rng.normal();
      num[i * numericFeatures + j] = x;
      ctrLogit += ctrWeights[j] * x;
      cvrLogit += cvrWeights[j] * x;
    }
    if (hiddenScale > 0) {
      const hidden = rng.normal();
      ctrLogit += hiddenScale * hidden;
      cvrLogit += hiddenScale * correlation * hidden;
    }
    truePctr[i] = sigmoid(ctrLogit);
    truePcvr[i] = sigmoid(cvrLogit);
    truePctcvr[i] = truePctr[i] * truePcvr[i];
    const clicked = rng.nextFloat() < truePctr[i];
    const converted = clicked && rng.nextFloat() < truePcvr[i];
    click[i] = clicked ? 1 : 0;
    conversion[i] = converted ? 1 : 0;
    cvr[i] = converted ? 1 : 0;
  }
  const table = new EncodedTable({
    size: n,
    nCat: categoricalFields,
    nNum: numericFeatures,
    cat,
    num,
    labels: { click, conversion, cvr },
    masks: { click: new Float32Array(n).fill(1), conversion: new Float32Array(n).fill(1), cvr: click.slice() },
  });
  return {
    table,
    categoricalSizes: new Array<number>(categoricalFields).fill(vocabularySize + 1),
    truePctr,
    truePcvr,
    truePctcvr,
  };
}
