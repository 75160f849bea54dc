/**
 * RnR — Rank and Rate (Hadash, Sar Shalom, Osadchy; RecSys 2018): a user first decides to interact with an item
 * (ranking, implicit) and only afterwards rates it (explicit), so the rating sees a post-consumption item.
 *
 *   u = U[user], v = V[item]                                   shared embeddings
 *   rank logit      s = ⟨u, v⟩                                  from the raw embeddings
 *   adjusted item   v' = v + Δ[item]                            learned per-item deviation (post-consumption view)
 *   rating          r̂ = ⟨φ(u), φ(v')⟩ + μ,  φ(e) = W e + c      ONE fully connected layer, weights tied between the
 *                                                              user and the item side; μ a learned global offset
 *   L = BCE(s; observed = 1, sampled negatives = 0) + λ·MSE(r̂, r) on rated pairs only + ℓ2·(mean_b ‖u_b‖² +
 *       ‖v_b‖² + ‖Δ_b‖²  + ‖W‖²)
 *
 * Input: { user: int32 [B], item: int32 [B] } (ids < numUsers / numItems; MovieLens ids are 1-based, row 0 unused).
 * Config: numUsers, numItems (table rows), embeddingDim (32), ratingDim (φ's output width, default embeddingDim),
 * ratingActivation ('none': the paper's single FC layer; or 'relu' / 'tanh'), ratingWeight λ (1), l2 (1e-4),
 * ratingOffset (μ's initial value, e.g. the mean training rating; 0), initStd (N(0, initStd²) embedding init,
 * 0.1), sparse (lazy embedding updates, true), taskNames ({ rank: 'rank', rating: 'rating' }).
 * Outputs: { rank: s (logit), rating: r̂ (value) }, [B]. Labels: rank = 1/0 per row; rating = the stars, with
 * masks.rating = 1 on rated rows (the loss's rating term needs it when negatives are in the batch: their rating
 * is undefined). `rnrTrainingRows` builds such rows with sampled negatives.
 * Choices the paper leaves open: Δ starts at zero (the rating starts from the ranking's view of the item); φ has
 * a bias c; ℓ2 acts on the looked-up rows of the batch (the usual minibatch form of MF regularisation) and on W.
 */
import type { Tensor } from '../tensor/tensor.js';
import { add, mul } from '../ops/elementwise.js';
import { full } from '../ops/creation.js';
import { mean, sum } from '../ops/reduce.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { applyActivation } from '../nn/activation.js';
import { createParameter } from '../nn/parameter.js';
import { SeededRandom } from '../data/random.js';
import { ConfigReader } from './config.js';
import { readTaskNames } from './esmm.js';
import type { TaskSpec } from './tasks.js';
import { checkUserItemInput, type InputSpec, type UserItemInput } from './inputs.js';
import { MultiTaskModel, type ModelPlacement, type ParamGroups, type TaskTensors } from './multi-task-model.js';

/** Rank-and-Rate's input (the user–item kind of inputs.ts). */
export type RnrInput = UserItemInput;

export class RankAndRate extends MultiTaskModel<RnrInput> {
  readonly modelName = 'rnr';
  readonly config: Readonly<Record<string, unknown>>;
  readonly tasks: readonly TaskSpec[];
  readonly users: Embedding;
  readonly items: Embedding;
  readonly itemDeviation: Embedding;
  readonly ratingMap: Linear;
  readonly ratingBias: Tensor;
  private readonly names: { rank: string; rating: string };
  private readonly ratingActivation: 'none' | 'relu' | 'tanh';
  private readonly l2: number;
  private readonly penalties = new WeakMap<TaskTensors, Tensor>();
  readonly inputSpec: InputSpec;

  constructor(config: unknown, place: ModelPlacement = {}) {
    super();
    const r = new ConfigReader('rnr', config);
    const numUsers = r.int('numUsers', undefined, { min: 1 });
    const numItems = r.int('numItems', undefined, { min: 1 });
    const embeddingDim = r.int('embeddingDim', 32, { min: 1 });
    const ratingDim = r.int('ratingDim', embeddingDim, { min: 1 });
    const ratingActivation = r.oneOf('ratingActivation', ['none', 'relu', 'tanh'] as const, 'none');
    const ratingWeight = r.number('ratingWeight', 1, { min: 0 });
    const l2 = r.number('l2', 1e-4, { min: 0 });
    const ratingOffset = r.number('ratingOffset', 0);
    const initStd = r.number('initStd', 0.1, { min: 0 });
    const sparse = r.boolean('sparse', true);
    const names = readTaskNames(r, { rank: 'rank', rating: 'rating' });
    r.done();
    this.config = {
      numUsers,
      numItems,
      embeddingDim,
      ratingDim,
      ratingActivation,
      ratingWeight,
      l2,
      ratingOffset,
      initStd,
      sparse,
      taskNames: { ...names },
    };
    this.names = names;
    this.ratingActivation = ratingActivation;
    this.l2 = l2;
    this.tasks = [
      { name: names.rank, kind: 'binary', weight: 1 },
      { name: names.rating, kind: 'regression', weight: ratingWeight },
    ];
    this.inputSpec = { kind: 'userItem', numUsers, numItems };
    this.users = this.registerModule('users', new Embedding(numUsers, embeddingDim, { ...place, initStd, sparse }));
    this.items = this.registerModule('items', new Embedding(numItems, embeddingDim, { ...place, initStd, sparse }));
    this.itemDeviation = this.registerModule(
      'itemDeviation',
      new Embedding(numItems, embeddingDim, { ...place, initStd: 0, sparse }),
    );
    this.ratingMap = this.registerModule('ratingMap', new Linear(embeddingDim, ratingDim, place));
    this.ratingBias = this.registerParameter(
      'ratingBias',
      createParameter(() => full([1], ratingOffset, place)),
    );
  }

  forward(input: RnrInput): TaskTensors {
    const { user, item } = checkUserItemInput('rnr', this.inputSpec, input);
    const u = this.users.forward(user);
    const v = this.items.forward(item);
    const dev = this.itemDeviation.forward(item);
    const rank = sum(mul(u, v), -1);
    const phi = (e: Tensor) => applyActivation(this.ratingMap.forward(e), this.ratingActivation);
    const rating = add(sum(mul(phi(u), phi(add(v, dev))), -1), this.ratingBias);
    const out: TaskTensors = { [this.names.rank]: rank, [this.names.rating]: rating };
    if (this.l2 > 0) {
      const rows = mean(add(add(sum(mul(u, u), -1), sum(mul(v, v), -1)), sum(mul(dev, dev), -1)));
      const w = this.ratingMap.weight;
      this.penalties.set(out, mul(add(rows, sum(mul(w, w))), this.l2));
    }
    return out;
  }

  /** ℓ2 on the rows the batch looked up and on the tied layer's weight. */
  override regularization(outputs: TaskTensors): Tensor | null {
    return this.penalties.get(outputs) ?? null;
  }

  paramGroups(): ParamGroups {
    return {
      shared: [this.users.weight, this.items.weight],
      tasks: {
        [this.names.rank]: [],
        [this.names.rating]: [this.itemDeviation.weight, ...this.ratingMap.parameters(), this.ratingBias],
      },
      gates: [],
    };
  }
}

export interface RnrRows {
  user: Int32Array;
  item: Int32Array;
  /** 1 for observed pairs, 0 for sampled negatives. */
  rank: Float32Array;
  /** The observed rating (0 on negatives). */
  rating: Float32Array;
  /** 1 where `rating` is defined (observed pairs). */
  ratingMask: Float32Array;
}

/**
 * Observed (user, item, rating) rows plus `negatives` sampled items per row for the ranking loss, drawn uniformly
 * from ids 1..numItems−1 (row 0 is the OOV row) with a seeded generator, re-drawn while the pair is in `observed`
 * (keys user·numItems + item; pass the training set's pairs so that no known interaction becomes a negative).
 */
export function rnrTrainingRows(
  users: ArrayLike<number>,
  items: ArrayLike<number>,
  ratings: ArrayLike<number>,
  opts: { numItems: number; negatives: number; seed: number; observed?: ReadonlySet<number> },
): RnrRows {
  const n = users.length;
  if (items.length !== n || ratings.length !== n)
    throw new Error(
      `rnrTrainingRows: users, items and ratings differ in length (${n}, ${items.length}, ${ratings.length})`,
    );
  if (!Number.isInteger(opts.negatives) || opts.negatives < 0)
    throw new Error(`rnrTrainingRows: negatives must be a non-negative integer, got ${opts.negatives}`);
  if (!Number.isInteger(opts.numItems) || opts.numItems < 2)
    throw new Error(`rnrTrainingRows: numItems must be an integer >= 2, got ${opts.numItems}`);
  const total = n * (1 + opts.negatives);
  const rows: RnrRows = {
    user: new Int32Array(total),
    item: new Int32Array(total),
    rank: new Float32Array(total),
    rating: new Float32Array(total),
    ratingMask: new Float32Array(total),
  };
  const rng = new SeededRandom(opts.seed);
  let k = 0;
  for (let i = 0; i < n; i++) {
    rows.user[k] = users[i];
    rows.item[k] = items[i];
    rows.rank[k] = 1;
    rows.rating[k] = ratings[i];
    rows.ratingMask[k] = 1;
    k++;
    for (let j = 0; j < opts.negatives; j++) {
      let item = 1 + rng.nextInt(opts.numItems - 1);
      for (let tries = 0; opts.observed?.has(users[i] * opts.numItems + item) && tries < 100; tries++)
        item = 1 + rng.nextInt(opts.numItems - 1);
      rows.user[k] = users[i];
      rows.item[k] = item;
      k++;
    }
  }
  return rows;
}
