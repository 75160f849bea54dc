/**
 * mt.compile: a captured MMoE train step (forward, backward, Adam) and predict replay bit-identically to eager
 * on js and native, step after step; what a capture cannot hold is a named error (or eager with fallback).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { recordTouchedRows, setRowInput } from '../../src/nn/sparse-rows.js';
import { NativeBackend } from '../../src/backends/native/backend.js';
import { engine } from '../../src/tensor/engine.js';
import { mmoeBatch, mmoeTrainer, TASKS } from './mmoe-step.js';

const B = 11;
const STEPS = 7; // 1 warm-up + 3 traced + 3 replays

const batch = (step: number, backend: string) => mmoeBatch(step, backend, B);
const makeTrainer = (backend: string) => mmoeTrainer(backend);

const backends = ['js', 'native'] as const;

describe.each(backends)('compile on %s', (backend) => {
  let available = true;
  beforeAll(async () => {
    try {
      await mt.init({ backend });
    } catch (e) {
      available = false;
      console.warn(`compile tests on ${backend} not run: ${(e as Error).message}`);
    }
  });
  afterAll(async () => {
    await mt.init({ backend: 'js' });
  });

  it('replays an MMoE train step bit-identically to eager, step after step', () => {
    if (!available) return;
    const eager = makeTrainer(backend);
    const captured = makeTrainer(backend);
    const step = mt.compile(captured.step);
    for (let s = 0; s < STEPS; s++) {
      const inp = batch(s, backend);
      const le = eager.step(inp.x, inp.ya, inp.yb);
      const lc = step(inp.x, inp.ya, inp.yb);
      expect(Array.from(lc.dataSync()), `loss at step ${s}`).toEqual(Array.from(le.dataSync()));
      const pe = eager.model.parameters(),
        pc = captured.model.parameters();
      expect(pc.length).toBe(pe.length);
      pe.forEach((p, i) =>
        expect(Array.from(pc[i]!.dataSync()), `parameter ${i} after step ${s}`).toEqual(Array.from(p.dataSync())),
      );
      mt.dispose([le, lc, inp.x, inp.ya, inp.yb]);
    }
    const st = step.stats();
    expect(st.replays).toBe(STEPS - 4);
    if (backend === 'native') {
      expect(st.nativeRefusals).toEqual([]);
      expect(st.nativeReplays).toBe(st.replays);
    }
    // Replays do not leak: live tensors stay flat over further steps.
    const inp = batch(99, backend);
    mt.dispose(step(inp.x, inp.ya, inp.yb));
    const before = mt.memory().tensors;
    for (let s = 0; s < 3; s++) mt.dispose(step(inp.x, inp.ya, inp.yb));
    expect(mt.memory().tensors).toBe(before);
    mt.dispose([inp.x, inp.ya, inp.yb]);
    step.dispose();
  });

  it('groups products that share an operand (the paper-small MMoE) and stays bit-identical to eager', () => {
    if (!available || backend !== 'native') return;
    // 1024 x 500 input, 8 experts of 4, 2 gates, towers of 8: the experts' and gates' products share X in the
    // forward and in the weight gradients, large enough for the grouped products to be split over threads.
    const cfg = { inputDim: 500, tasks: TASKS, numExperts: 8, expertDims: [4], towerDims: [8] };
    const rows = 1024;
    const make = () => mmoeTrainer(backend, cfg, 7, 0.01);
    const eager = make(),
      captured = make();
    const step = mt.compile(captured.step);
    const grouped = (): number => {
      const reg = engine.backends.get('native');
      const be = reg && 'inner' in reg ? reg.inner : reg;
      if (!(be instanceof NativeBackend)) throw new Error('compile test: the native backend is not registered');
      const counters = (be.addon as { planCounters?: () => { groupedProducts: number } }).planCounters;
      if (typeof counters !== 'function') throw new Error('compile test: the addon has no planCounters (rebuild it)');
      return counters().groupedProducts;
    };
    const before = grouped();
    for (let s = 0; s < STEPS; s++) {
      const x = mt.tensor(
        Float32Array.from({ length: rows * 500 }, (_, i) => Math.sin(i * 0.013 + s)),
        { shape: [rows, 500], backend },
      );
      const ya = mt.tensor(
        Float32Array.from({ length: rows }, (_, i) => ((i * 7 + s) % 3 === 0 ? 1 : 0)),
        { backend },
      );
      const yb = mt.tensor(
        Float32Array.from({ length: rows }, (_, i) => (i + s) % 2),
        { backend },
      );
      const le = eager.step(x, ya, yb);
      const lc = step(x, ya, yb);
      expect(Array.from(lc.dataSync()), `loss at step ${s}`).toEqual(Array.from(le.dataSync()));
      const pe = eager.model.parameters(),
        pc = captured.model.parameters();
      pe.forEach((p, i) =>
        expect(Array.from(pc[i]!.dataSync()), `parameter ${i} after step ${s}`).toEqual(Array.from(p.dataSync())),
      );
      mt.dispose([le, lc, x, ya, yb]);
    }
    const st = step.stats();
    expect(st.nativeReplays).toBe(STEPS - 4);
    // Per replay: the experts' and both gates' products of X, and their three weight gradients.
    expect(grouped() - before).toBeGreaterThanOrEqual(6 * st.nativeReplays);
    step.dispose();
    eager.model.dispose();
    captured.model.dispose();
  });

  it('hands over to eager steps seamlessly when afterReplay advances the optimizer step count', () => {
    if (!available) return;
    const eager = makeTrainer(backend);
    const captured = makeTrainer(backend);
    const step = mt.compile(captured.step, { afterReplay: () => captured.opt.advanceSteps(1) });
    for (let s = 0; s < 9; s++) {
      const inp = batch(s, backend);
      const le = eager.step(inp.x, inp.ya, inp.yb);
      const lc = s < 6 ? step(inp.x, inp.ya, inp.yb) : captured.step(inp.x, inp.ya, inp.yb); // eager from step 6 on
      expect(Array.from(lc.dataSync()), `loss at step ${s}`).toEqual(Array.from(le.dataSync()));
      mt.dispose([le, lc, inp.x, inp.ya, inp.yb]);
    }
    const pe = eager.model.parameters(),
      pc = captured.model.parameters();
    pe.forEach((p, i) => expect(Array.from(pc[i]!.dataSync()), `parameter ${i}`).toEqual(Array.from(p.dataSync())));
    expect(step.stats().replays).toBe(2);
    step.dispose();
  });

  it('replays predict bit-identically and recaptures on a new batch size', () => {
    if (!available) return;
    const { model } = makeTrainer(backend);
    const predict = mt.compile((x: Tensor) => model.predict(x));
    for (const rows of [B, B, B, B, B, B, 3, 3, 3, 3, 3, B]) {
      const x = mt.randn([rows, 7], { backend });
      const e = model.predict(x),
        c = predict(x);
      for (const k of ['a', 'b'])
        expect(Array.from(c[k]!.dataSync()), `${k} for ${rows} rows`).toEqual(Array.from(e[k]!.dataSync()));
      mt.dispose([x, e, c]);
    }
    expect(predict.stats().signatures).toBe(2);
    expect(predict.stats().replays).toBe(4);
    if (backend === 'native') {
      expect(predict.stats().nativeRefusals).toEqual([]);
      expect(predict.stats().nativeReplays).toBe(4);
    }
  });

  it('advances the random stream as eager does (random ops replay with fresh offsets)', () => {
    if (!available) return;
    const f = (x: Tensor) => mt.add(x, mt.randn(x.shape, { backend }));
    const g = mt.compile(f);
    const x = mt.zeros([5, 3], { backend });
    mt.manualSeed(7);
    const eager = Array.from({ length: 6 }, () => {
      const t = f(x);
      const d = Array.from(t.dataSync());
      t.dispose();
      return d;
    });
    mt.manualSeed(7);
    const comp = Array.from({ length: 6 }, () => {
      const t = g(x);
      const d = Array.from(t.dataSync());
      t.dispose();
      return d;
    });
    expect(comp).toEqual(eager);
    expect(g.stats().replays).toBe(2);
    if (backend === 'native') expect(g.stats().nativeReplays).toBe(2);
    x.dispose();
  });

  it('replays a lazy-row optimizer update whose row list is an input (-1 padding), one call on native', () => {
    if (!available) return;
    // An embedding table updated on a few rows per step: the rows come as a fixed-length int32 list (the Trainer's
    // layout: sorted rows, then -1), so each replay updates that step's rows — equal to the eager update of the
    // recorded set, for Adam and SGD with momentum.
    const rowsAt = (s: number) => [...new Set([s % 9, (s * 4 + 2) % 9, 5])].sort((a, b) => a - b);
    const gradAt = (s: number) =>
      mt.tensor(
        Float32Array.from({ length: 27 }, (_, i) => Math.sin(i * 0.7 + s)),
        { shape: [9, 3], backend },
      );
    for (const make of [
      (ps: Tensor[]) => new mt.optim.Adam(ps, { lr: 0.1, weightDecay: 0.01 }),
      (ps: Tensor[]) => new mt.optim.SGD(ps, { lr: 0.1, momentum: 0.9 }),
    ]) {
      mt.manualSeed(3);
      const eager = new mt.nn.Embedding(9, 3, { backend });
      mt.manualSeed(3);
      const lazy = new mt.nn.Embedding(9, 3, { backend });
      const optE = make([eager.weight]),
        optC = make([lazy.weight]);
      const update = mt.compile(
        (_g: Tensor, _rows: Tensor): Tensor[] => {
          optC.step();
          return [];
        },
        { afterReplay: () => optC.advanceSteps(1) },
      );
      for (let s = 0; s < 7; s++) {
        const rows = rowsAt(s);
        eager.weight.grad = gradAt(s);
        recordTouchedRows(eager.weight, rows);
        optE.step();
        optE.zeroGrad();
        lazy.weight.grad = gradAt(s);
        const list = mt.tensor(Int32Array.from([...rows, -1, -1, -1, -1].slice(0, 4)), { dtype: 'int32', backend });
        setRowInput(lazy.weight, list);
        update(lazy.weight.grad, list);
        optC.zeroGrad();
        list.dispose();
        expect(Array.from(lazy.weight.dataSync()), `${optC.name} weights after step ${s}`).toEqual(
          Array.from(eager.weight.dataSync()),
        );
      }
      expect(update.stats().replays).toBe(3);
      if (backend === 'native') expect(update.stats().nativeReplays).toBe(3);
      // A row outside the table in a replayed list is an error naming it, as eagerly.
      lazy.weight.grad = gradAt(0);
      const bad = mt.tensor(Int32Array.from([1, 9, -1, -1]), { dtype: 'int32', backend });
      setRowInput(lazy.weight, bad);
      expect(() => update(lazy.weight.grad!, bad)).toThrow(/row 9 .*out of range \[0, 9\)/);
      optC.zeroGrad();
      bad.dispose();
    }
  });

  it('replays random offsets from where the stream is now, also when other random ops ran in between', () => {
    if (!available) return;
    const f = (x: Tensor) => mt.add(x, mt.randn(x.shape, { backend }));
    const g = mt.compile(f);
    const x = mt.zeros([4, 3], { backend });
    // Calls 5 and 7 are replays; an eager random op between calls moves the stream (as a probe step's dropout would).
    const sequence = (h: (x: Tensor) => Tensor) => {
      mt.manualSeed(3);
      const out: number[][] = [];
      for (let i = 0; i < 8; i++) {
        const t = h(x);
        out.push(Array.from(t.dataSync()));
        t.dispose();
        if (i >= 4) mt.randn([7], { backend }).dispose();
      }
      return out;
    };
    const eager = sequence(f);
    expect(sequence(g)).toEqual(eager);
    expect(g.stats().replays).toBe(4);
    x.dispose();
  });

  it('keeps at most maxSignatures shapes: an evicted shape starts again from warm-up', () => {
    if (!available) return;
    const g = mt.compile((x: Tensor) => mt.mul(x, 2), { maxSignatures: 1 });
    const a = mt.ones([3], { backend }),
      b = mt.ones([4], { backend });
    for (let i = 0; i < 5; i++) g(a).dispose();
    expect(g.stats()).toMatchObject({ eagerCalls: 1, capturedCalls: 3, replays: 1 });
    g(b).dispose(); // evicts a's program
    g(a).dispose();
    expect(g.stats()).toMatchObject({ eagerCalls: 3, capturedCalls: 3, replays: 1, signatures: 3 });
    expect(() => mt.compile((x: Tensor) => x, { maxSignatures: 0 })).toThrow(
      /maxSignatures must be a positive integer/,
    );
    mt.dispose([a, b]);
  });
});

describe('compile: what a capture cannot hold', () => {
  it('names a host read in the middle, or runs eagerly with fallback', () => {
    const f = (x: Tensor) => {
      const y = mt.mul(x, 2);
      const v = y.dataSync()[0]!;
      return mt.add(y, v);
    };
    const x = mt.ones([2, 2]);
    const strict = mt.compile(f);
    strict(x).dispose();
    expect(() => strict(x)).toThrow(/host read \(readSync.*after kernel #\d+ \(binary\)/);
    const lenient = mt.compile(f, { fallback: 'eager' });
    for (let i = 0; i < 6; i++) {
      const r = lenient(x);
      expect(Array.from(r.dataSync())).toEqual([4, 4, 4, 4]);
      r.dispose();
    }
    expect(lenient.stats().fallbacks).toHaveLength(1);
    expect(lenient.stats().replays).toBe(0);
    x.dispose();
  });

  it('names a data-dependent branch (a different kernel sequence on a later call)', () => {
    let calls = 0;
    const f = (x: Tensor) => (++calls === 3 ? mt.exp(x) : mt.mul(x, 3));
    const g = mt.compile(f);
    const x = mt.ones([2]);
    g(x).dispose();
    g(x).dispose();
    g(x).dispose();
    expect(() => g(x)).toThrow(/kernel sequence differs.*kernel #\d+.*data-dependent branch/);
    x.dispose();
  });

  it('names a host scalar that changes other than by a constant step', () => {
    let calls = 0;
    const g = mt.compile((x: Tensor) => {
      calls++;
      return mt.mul(x, calls * calls);
    });
    const x = mt.ones([2]);
    g(x).dispose();
    g(x).dispose();
    g(x).dispose();
    expect(() => g(x)).toThrow(/not by a constant step \(4, 9, 16\)/);
    x.dispose();
  });

  it('replays a host scalar that steps by a constant each call (on native: kernel by kernel)', async () => {
    for (const backend of ['js', 'native'] as const) {
      try {
        await mt.init({ backend });
      } catch {
        continue;
      }
      let calls = 0;
      const g = mt.compile((x: Tensor) => mt.mul(x, ++calls));
      const x = mt.ones([3], { backend });
      const got: number[] = [];
      for (let i = 0; i < 7; i++) {
        const r = g(x);
        got.push(r.dataSync()[0]!);
        r.dispose();
      }
      expect(got, backend).toEqual([1, 2, 3, 4, 5, 6, 7]);
      if (backend === 'native') expect(g.stats().nativeRefusals).toEqual(['fill: a value that changes per call']);
      x.dispose();
    }
    await mt.init({ backend: 'js' });
  });

  it('checks data-dependent indices on every replay (an out-of-range id is an error, not a wild read)', async () => {
    for (const backend of ['js', 'native'] as const) {
      try {
        await mt.init({ backend });
      } catch {
        continue;
      }
      const table = mt.randn([5, 3], { backend });
      const g = mt.compile((ids: Tensor) => mt.mul(mt.gather(table, ids, 0), 2));
      const ok = mt.tensor(new Int32Array([0, 4, 2]), { dtype: 'int32', backend });
      for (let i = 0; i < 5; i++) g(ok).dispose();
      const live = mt.memory().tensors;
      const bad = mt.tensor(new Int32Array([0, 5, 2]), { dtype: 'int32', backend });
      expect(() => g(bad), backend).toThrow(/index 5 .*out of range/);
      expect(mt.memory().tensors, backend).toBe(live + 1);
      expect(g.stats().replays, backend).toBe(2);
      mt.dispose([table, ok, bad]);
    }
    await mt.init({ backend: 'js' });
  });

  it("runs int32 comparisons in the one-call native plan (the feature encoder's out-of-vocabulary mask), equal to eager", async () => {
    for (const backend of ['js', 'native'] as const) {
      try {
        await mt.init({ backend });
      } catch {
        continue;
      }
      const table = mt.randn([6, 3], { backend });
      // Broadcast in 2-D and 3-D too (a [B, F] batch against a [F] row of vocabulary sizes; rows against columns).
      const sizes = mt.tensor(Int32Array.from([1, 6, 3, 5]), { dtype: 'int32', backend });
      const column = mt.tensor(Int32Array.from([3, 0]), { dtype: 'int32', shape: [2, 1], backend });
      const f = (ids: Tensor) => {
        const oov = mt.maximum(mt.lt(ids, 0), mt.ge(ids, 6));
        const clean = mt.where(oov, 0, ids);
        const grid = mt.reshape(ids, [2, 4]);
        return [
          mt.gather(table, clean, 0),
          mt.eq(ids, mt.minimum(ids, 3)),
          mt.ne(ids, 2),
          mt.le(ids, 1),
          mt.gt(ids, 4),
          mt.ge(grid, sizes),
          mt.lt(grid, column),
          mt.minimum(mt.reshape(ids, [2, 1, 4]), mt.reshape(clean, [1, 2, 4])),
        ];
      };
      const g = mt.compile(f);
      for (let i = 0; i < 7; i++) {
        const ids = mt.tensor(Int32Array.from([-1, 0, 7, 5, 2, 3, 6, i - 1]), { dtype: 'int32', backend });
        const e = f(ids),
          c = g(ids);
        e.forEach((t, k) =>
          expect(Array.from(c[k]!.dataSync()), `${backend} output ${k} call ${i}`).toEqual(Array.from(t.dataSync())),
        );
        mt.dispose([ids, e, c]);
      }
      if (backend === 'native') {
        expect(g.stats().nativeRefusals).toEqual([]);
        expect(g.stats().nativeReplays).toBe(3);
      }
      mt.dispose([table, sizes, column]);
    }
    await mt.init({ backend: 'js' });
  });

  it('keys programs by which inputs alias one storage', () => {
    const g = mt.compile((x: Tensor, y: Tensor) => mt.sub(x, y));
    const x = mt.tensor([5, 7]),
      y = mt.tensor([1, 2]);
    for (let i = 0; i < 5; i++) g(x, x).dispose();
    const r = g(x, y);
    expect(Array.from(r.dataSync())).toEqual([4, 5]);
    expect(g.stats().signatures).toBe(2);
    mt.dispose([r, x, y]);
  });

  it('rejects non-tensor arguments and results by name', () => {
    const g = mt.compile((x: Tensor): Tensor => JSON.parse(JSON.stringify(x.shape)), { name: 'shapeOf' });
    const x = mt.ones([2]);
    expect(() => g(x)).toThrow(/compile\(shapeOf\): the function must return a Tensor/);
    x.dispose();
  });
});

describe('compile on webgpu (prepared commands: one pass, one submit; more in webgpu-plan.test.ts)', () => {
  it('replays an MMoE train step bit-identically to eager', async () => {
    try {
      await mt.init({ backend: 'webgpu' });
    } catch (e) {
      console.warn(`compile on webgpu not run: ${(e as Error).message.split('\n')[0]}`);
      return;
    }
    try {
      const eager = makeTrainer('webgpu');
      const captured = makeTrainer('webgpu');
      const step = mt.compile(captured.step);
      for (let s = 0; s < 6; s++) {
        const inp = batch(s, 'webgpu');
        const le = eager.step(inp.x, inp.ya, inp.yb);
        const lc = step(inp.x, inp.ya, inp.yb);
        expect(Array.from(await lc.data()), `loss at step ${s}`).toEqual(Array.from(await le.data()));
        const pe = eager.model.parameters(),
          pc = captured.model.parameters();
        for (let i = 0; i < pe.length; i++)
          expect(Array.from(await pc[i]!.data()), `parameter ${i} after step ${s}`).toEqual(
            Array.from(await pe[i]!.data()),
          );
        mt.dispose([le, lc, inp.x, inp.ya, inp.yb]);
      }
      expect(step.stats().replays).toBe(2);
      expect(step.stats().webgpuRefusals).toEqual([]);
      expect(step.stats().webgpuReplays).toBe(2);
    } finally {
      await mt.init({ backend: 'js' });
    }
  });
});
