/**
 * mt.compile where users meet it by default: model.predict, scoring (mtgrad/infer's path) and the Trainer's step.
 * Every result is compared element by element with the eager run ({ compile: false }) on js, native and WebGPU
 * (lavapipe), over enough calls to pass warm-up, capture and several replays, with a short last batch.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { Adam } from '../../src/optim/index.js';
import { EncodedTable } from '../../src/data/table.js';
import { SeededRandom } from '../../src/data/random.js';
import { Trainer } from '../../src/train/index.js';
import { scoreRows } from '../../src/infer/score.js';
import { MLP } from '../../src/nn/mlp.js';
import {
  MultiTaskModel,
  type ParamGroups,
  type TabularInput,
  createModel,
  type TaskSpec,
  type TaskTensors,
} from '../../src/models/index.js';

const TASKS = [{ name: 'a' }, { name: 'b' }];
const DENSE = { inputDim: 6, tasks: TASKS, numExperts: 3, expertDims: [5], towerDims: [4] };
const FEATURES = {
  features: {
    categorical: [
      { name: 'c0', vocabularySize: 7 },
      { name: 'c1', vocabularySize: 5 },
    ],
    numeric: [{ name: 'x0' }, { name: 'x1' }],
    embeddingDim: 3,
  },
  tasks: TASKS,
  numExperts: 3,
  expertDims: [5],
  towerDims: [4],
};

/** Rows of a small two-task table: dense (6 numeric columns) or features (2 categorical with some OOV ids, 2 numeric). */
function table(n: number, seed: number, kind: 'dense' | 'features'): EncodedTable {
  const rng = new SeededRandom(seed);
  const nNum = kind === 'dense' ? 6 : 2;
  const nCat = kind === 'dense' ? 0 : 2;
  const num = Float32Array.from({ length: n * nNum }, () => rng.normal());
  // Ids up to 8 on vocabularies of 7 and 5: out-of-vocabulary ids map to row 0 (the encoder's where()).
  const cat = Int32Array.from({ length: n * nCat }, () => Math.floor(rng.nextFloat() * 9));
  const a = Float32Array.from({ length: n }, (_, i) => (num[i * nNum]! + 0.3 * rng.normal() > 0 ? 1 : 0));
  const b = Float32Array.from({ length: n }, (_, i) => (num[i * nNum + 1]! - (cat[i * nCat] ?? 0) / 8 > 0 ? 1 : 0));
  const maskB = Float32Array.from({ length: n }, (_, i) => (i % 4 === 3 ? 0 : 1));
  return new EncodedTable({ size: n, nCat, nNum, cat, num, labels: { a, b }, masks: { b: maskB } });
}

const BACKENDS = ['js', 'native', 'webgpu'] as const;
const started: Record<string, string | null> = {};

async function use(backend: string): Promise<boolean> {
  if (!(backend in started)) {
    try {
      await mt.init({ backend: backend as 'js' });
      started[backend] = null;
    } catch (e) {
      started[backend] = (e as Error).message.split('\n')[0]!;
    }
  }
  if (started[backend] !== null) {
    console.warn(`compiled entry points on ${backend} not run: ${started[backend]}`);
    return false;
  }
  await mt.init({ backend: backend as 'js' });
  return true;
}

afterAll(async () => {
  mt.setCompileDefault(null);
  await mt.init({ backend: 'js' });
});

async function values(t: Record<string, Tensor>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(t)) out[k] = Array.from(await v.data());
  return out;
}

describe.each(BACKENDS)('compiled by default on %s', (backend) => {
  it('model.predict equals eager call after call (warm-up, capture, replays, a new batch size), gates too; memory flat', async () => {
    if (!(await use(backend))) return;
    for (const [kind, config] of [
      ['dense', DENSE],
      ['features', FEATURES],
    ] as const) {
      mt.manualSeed(3);
      const model = createModel('mmoe', config, { backend });
      const rows = table(40, 5, kind);
      const inputAt = (start: number, n: number) =>
        mt.tidy(() => {
          const x =
            kind === 'dense'
              ? { x: mt.tensor(rows.num.subarray(start * 6, (start + n) * 6), { shape: [n, 6] }) }
              : null;
          if (x) return x;
          return {
            cat: mt.tensor(rows.cat.subarray(start * 2, (start + n) * 2), { dtype: 'int32', shape: [n, 2] }),
            num: mt.tensor(rows.num.subarray(start * 2, (start + n) * 2), { shape: [n, 2] }),
          };
        });
      const memoryBySize = new Map<number, [number, number][]>();
      for (let call = 0; call < 9; call++) {
        const n = call < 6 ? 8 : 5;
        const inp = inputAt(call * 4, n);
        const input = ('x' in inp ? inp.x : inp) as Tensor;
        const outC = model.predict(input);
        const compiled = await values(outC);
        const gatesCompiled = await values(model.lastGates());
        const outE = model.predict(input, { compile: false });
        const eager = await values(outE);
        const gatesEager = await values(model.lastGates());
        expect(compiled, `${kind} call ${call}`).toEqual(eager);
        expect(gatesCompiled, `${kind} gates, call ${call}`).toEqual(gatesEager);
        mt.dispose([inp, outC, outE]);
        const m = mt.memory();
        memoryBySize.set(n, [...(memoryBySize.get(n) ?? []), [m.tensors, m.bytes]]);
      }
      // Live tensors and bytes are the same after every call of one batch size (warm-up, capture and replays alike).
      for (const [n, snaps] of memoryBySize) for (const s of snaps) expect(s, `memory at batch ${n}`).toEqual(snaps[0]);
      const st = model.predictStats();
      expect(st.length).toBe(1);
      expect(st[0]!.signatures).toBe(2);
      expect(st[0]!.replays).toBeGreaterThanOrEqual(2);
      expect(st[0]!.fallbacks).toEqual([]);
      if (backend === 'native') expect(st[0]!.nativeReplays).toBe(st[0]!.replays);
      if (backend === 'webgpu') {
        expect(st[0]!.webgpuRefusals).toEqual([]);
        expect(st[0]!.webgpuReplays).toBe(st[0]!.replays);
      }
      model.dispose();
    }
  }, 120_000);
});

async function read(ts: Tensor[]): Promise<number[][]> {
  const out: number[][] = [];
  for (const t of ts) out.push(Array.from(await t.data()));
  return out;
}

async function sameParameters(a: Tensor[], b: Tensor[], what: string): Promise<void> {
  expect(b.length).toBe(a.length);
  const [va, vb] = [await read(a), await read(b)];
  va.forEach((v, i) => expect(vb[i], `${what}: parameter ${i}`).toEqual(v));
}

describe.each(BACKENDS)('the Trainer compiled by default on %s', (backend) => {
  const run = async (kind: 'dense' | 'features', compile: boolean, opts: { clip?: number; probeEvery?: number }) => {
    mt.manualSeed(11);
    const model = createModel('mmoe', kind === 'dense' ? DENSE : FEATURES, { backend });
    const optimizer = new Adam(model.parameters(), { lr: 0.03 });
    const trainer = new Trainer({
      model,
      optimizer,
      epochs: 3,
      batchSize: 16,
      seed: 2,
      clipGradNorm: opts.clip,
      gradientProbeEvery: opts.probeEvery ?? 0,
      compile,
    });
    // 100 rows: 6 batches of 16 and one of 4 per epoch (two shapes to capture).
    const history = await trainer.fit(table(100, 7, kind), table(37, 8, kind));
    return { model, history, stats: trainer.compileStats(), reason: trainer.eagerBackwardReason };
  };

  it('fit() gives the eager run exactly: every step loss, the weights, validation metrics (with clipping and probes)', async () => {
    if (!(await use(backend))) return;
    for (const kind of ['dense', 'features'] as const) {
      const opts = { clip: 0.5, probeEvery: 5 };
      const eager = await run(kind, false, opts);
      const compiled = await run(kind, true, opts);
      expect(eager.reason).toBe('compile is off');
      expect(compiled.reason, kind).toBeNull();
      expect(compiled.history.steps, `${kind}: step losses`).toEqual(eager.history.steps);
      expect(compiled.history.gradientCosines, `${kind}: probes`).toEqual(eager.history.gradientCosines);
      expect(
        compiled.history.epochs.map((e) => e.validation),
        `${kind}: validation metrics`,
      ).toEqual(eager.history.epochs.map((e) => e.validation));
      await sameParameters(eager.model.parameters(), compiled.model.parameters(), kind);
      const backwardReplays = compiled.stats.backward.reduce((n, s) => n + s.replays, 0);
      expect(backwardReplays, `${kind}: backward replays`).toBeGreaterThan(5);
      expect(compiled.stats.backward.flatMap((s) => s.fallbacks)).toEqual([]);
      // Probe steps (1, 5, 10, 15, 20) have a program of their own, replayed from the 5th on.
      expect(
        compiled.stats.probe.map((s) => s.replays),
        `${kind}: probe replays`,
      ).toEqual([1]);
      if (backend === 'native')
        for (const s of compiled.stats.backward) expect(s.nativeReplays, `${kind}: one-call plan`).toBe(s.replays);
      if (backend === 'webgpu')
        for (const s of [...compiled.stats.backward, compiled.stats.update!])
          expect(s.webgpuReplays, `${kind}: prepared commands`).toBe(s.replays);
      // Lazy embedding rows (features) replay too: each table's rows are an input list of one fixed length
      // (-1 padding), so the short last batch of 4 uses the same program and the same extrapolated Adam step.
      const update = compiled.stats.update!;
      expect(update.replays, `${kind}: update replays`).toBeGreaterThan(5);
      expect(update.signatures, `${kind}: one update program`).toBe(1);
      expect(update.fallbacks).toEqual([]);
      if (backend === 'native') expect(update.nativeReplays, `${kind}: one-call update`).toBe(update.replays);
      eager.model.dispose();
      compiled.model.dispose();
    }
  }, 300_000);

  it('lazy rows: a batch larger than batchSize (more rows than the fixed row list holds) updates eagerly, then the update recaptures; equal to eager', async () => {
    if (!(await use(backend))) return;
    const trainOn = async (compile: boolean) => {
      mt.manualSeed(5);
      const model = createModel('mmoe', FEATURES, { backend });
      const optimizer = new Adam(model.parameters(), { lr: 0.03 });
      const trainer = new Trainer({ model, optimizer, epochs: 1, batchSize: 2, seed: 1, compile });
      await trainer.fit(table(20, 3, 'features')); // 10 steps: the update replays from the 5th
      const replaysBefore = trainer.compileStats().update?.replays ?? 0;
      const big = table(12, 4, 'features');
      await trainer.step(big.gather(Array.from({ length: 12 }, (_, i) => i)), { step: 11, epoch: 1 });
      let step = 12;
      for (const batch of table(12, 6, 'features').batches({ batchSize: 2 }))
        await trainer.step(batch, { step: step++, epoch: 1 });
      return { model, replaysBefore, after: trainer.compileStats().update };
    };
    const eager = await trainOn(false);
    const compiled = await trainOn(true);
    await sameParameters(eager.model.parameters(), compiled.model.parameters(), 'after the large batch');
    expect(compiled.replaysBefore).toBe(6);
    // The large batch dropped the program (its extrapolated Adam step would have missed that step); the 6 steps
    // after it captured a new one: warm-up, 3 traced calls, 2 replays.
    expect(compiled.after?.replays).toBe(2);
    expect(compiled.after?.fallbacks).toEqual([]);
    eager.model.dispose();
    compiled.model.dispose();
  });

  it('a non-finite loss on a replayed step stops before the update: the weights stay as they were', async () => {
    if (!(await use(backend))) return;
    if (backend === 'webgpu') {
      // WGSL does not promise NaN propagation (max/clamp may drop it): a NaN input gives a finite loss on lavapipe.
      console.warn('non-finite replayed step on webgpu not run: WGSL does not guarantee NaN propagation');
      return;
    }
    mt.manualSeed(4);
    const model = createModel('mmoe', DENSE, { backend });
    const trainer = new Trainer({ model, optimizer: new Adam(model.parameters(), { lr: 0.03 }), batchSize: 16 });
    const rows = table(16, 3, 'dense');
    for (let s = 1; s <= 6; s++) await trainer.step(rows, { step: s, epoch: 0 });
    expect(trainer.compileStats().backward[0]!.replays).toBe(2);
    const before = await read(model.parameters());
    const bad = table(16, 3, 'dense');
    bad.num[5] = Number.NaN;
    await expect(trainer.step(bad, { step: 7, epoch: 0 })).rejects.toThrow(/step 7: the loss of task 'a' is NaN/);
    expect(trainer.compileStats().backward[0]!.replays).toBe(3);
    expect(await read(model.parameters())).toEqual(before);
    model.dispose();
  }, 120_000);
});

describe('compile switches', () => {
  it('MTGRAD_COMPILE / setCompileDefault turn the default off; an explicit option wins', async () => {
    await mt.init({ backend: 'js' });
    const model = createModel('mmoe', DENSE);
    const x = mt.ones([3, 6]);
    mt.setCompileDefault(false);
    mt.dispose(model.predict(x));
    expect(model.predictStats()).toEqual([]);
    expect(new Trainer({ model, optimizer: new Adam(model.parameters()) }).eagerBackwardReason).toBe('compile is off');
    mt.dispose(model.predict(x, { compile: true }));
    expect(model.predictStats().length).toBe(1);
    mt.setCompileDefault(null);
    const saved = process.env.MTGRAD_COMPILE;
    try {
      process.env.MTGRAD_COMPILE = '0';
      expect(mt.compileByDefault()).toBe(false);
      process.env.MTGRAD_COMPILE = 'yes';
      expect(mt.compileByDefault()).toBe(true);
      process.env.MTGRAD_COMPILE = 'maybe';
      expect(() => mt.compileByDefault()).toThrow(/MTGRAD_COMPILE must be 0\/1/);
    } finally {
      if (saved === undefined) delete process.env.MTGRAD_COMPILE;
      else process.env.MTGRAD_COMPILE = saved;
    }
    mt.dispose(x);
    model.dispose();
  });

  it('scoreRows (mtgrad/infer, evaluation) gives the same scores compiled and eager', async () => {
    await mt.init({ backend: 'js' });
    mt.manualSeed(9);
    const model = createModel('mmoe', FEATURES);
    const rows = table(50, 4, 'features');
    const eager = await scoreRows(model, rows, { batchSize: 8, gates: true, compile: false });
    const compiled = await scoreRows(model, rows, { batchSize: 8, gates: true });
    expect(compiled).toEqual(eager);
    expect(model.predictStats()[0]!.replays).toBeGreaterThan(0);
    model.dispose();
  });
});

/** One task on an MLP with batch norm: training forwards replace its running-statistics buffers. */
class BatchNormModel extends MultiTaskModel<TabularInput> {
  readonly modelName = 'bn-test';
  readonly config = {};
  readonly tasks: readonly TaskSpec[] = [{ name: 'a', kind: 'binary', weight: 1 }];
  readonly inputSpec = { kind: 'dense', dim: 3 } as const;
  readonly mlp = this.registerModule('mlp', new MLP([3, 4, 1], { batchNorm: true }));
  forward(input: TabularInput): TaskTensors {
    const x = input as Tensor;
    return { a: mt.reshape(this.mlp.forward(x), [x.shape[0]!]) };
  }
  paramGroups(): ParamGroups {
    return { shared: this.mlp.parameters(), tasks: { a: [] }, gates: [] };
  }
}

describe('compiled predict and replaced buffers', () => {
  it('captures again when training replaced a buffer (batch-norm running statistics), equal to eager', async () => {
    for (const backend of ['js', 'native'] as const) {
      if (!(await use(backend))) continue;
      mt.manualSeed(2);
      const model = new BatchNormModel();
      const x = mt.randn([6, 3]);
      const check = async (what: string) => {
        const c = model.predict(x);
        const e = model.predict(x, { compile: false });
        expect(await values(c), `${backend}: ${what}`).toEqual(await values(e));
        mt.dispose([c, e]);
      };
      for (let i = 0; i < 6; i++) await check(`before training, call ${i}`);
      expect(model.predictStats()[0]!.replays).toBe(2);
      // A training-mode forward: BatchNorm1d swaps in new running_mean/running_var tensors.
      model.train(true);
      mt.tidy(() => mt.noGrad(() => model.forward(mt.randn([6, 3]))));
      for (let i = 0; i < 6; i++) await check(`after training, call ${i}`);
      expect(model.predictStats()[0]!.replays, 'a new program, replayed').toBe(2);
      mt.dispose(x);
      model.dispose();
    }
  });
});
