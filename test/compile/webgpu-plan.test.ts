/**
 * mt.compile on WebGPU through prepared commands (src/compile/webgpu-plan.ts): bind groups and uniforms built once
 * over fixed buffers, every replay one pass and one submit. Checked against eager, bit for bit, on lavapipe (or
 * whatever adapter Dawn finds); skipped with a visible line where WebGPU cannot start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { mmoeBatch, mmoeTrainer } from './mmoe-step.js';

const B = 11;

let available = true;
beforeAll(async () => {
  try {
    await mt.init({ backend: 'webgpu' });
  } catch (e) {
    available = false;
    console.warn(`compile through prepared WebGPU commands not run: ${(e as Error).message.split('\n')[0]}`);
  }
});
afterAll(async () => {
  await mt.init({ backend: 'js' });
});

const batch = (step: number, rows = B) => mmoeBatch(step, 'webgpu', rows);
const makeTrainer = () => mmoeTrainer('webgpu');

async function values(ts: readonly Tensor[]): Promise<number[][]> {
  const out: number[][] = [];
  for (const t of ts) out.push(Array.from(await t.data()));
  return out;
}

/** The webgpu backend's live GPU buffers and bytes (pool accounting: plan buffers included). */
function gpuMemory(): [number, number, number] {
  const m = mt.memory();
  const b = m.byBackend.webgpu!.backend;
  return [m.tensors, b.buffers, b.bytes];
}

describe('compile on webgpu through prepared commands', () => {
  it('replays an MMoE train step (forward, backward, Adam) bit-identically to eager, replay after replay; memory flat', async () => {
    if (!available) return;
    const eager = makeTrainer();
    const captured = makeTrainer();
    const step = mt.compile(captured.step);
    const memory: [number, number, number][] = [];
    for (let s = 0; s < 10; s++) {
      const inp = batch(s);
      const le = eager.step(inp.x, inp.ya, inp.yb);
      const lc = step(inp.x, inp.ya, inp.yb);
      expect((await values([lc]))[0], `loss at step ${s}`).toEqual((await values([le]))[0]);
      const pe = await values(eager.model.parameters());
      const pc = await values(captured.model.parameters());
      pe.forEach((p, i) => expect(pc[i], `parameter ${i} after step ${s}`).toEqual(p));
      mt.dispose([le, lc, inp.x, inp.ya, inp.yb]);
      if (s >= 5) memory.push(gpuMemory()); // replays 2.. (the first replay's output buffers may still be pooling)
    }
    const st = step.stats();
    expect(st.webgpuRefusals).toEqual([]);
    expect(st.replays).toBe(6);
    expect(st.webgpuReplays).toBe(6);
    expect(st.planBytes).toBeGreaterThan(0);
    // Every dispatch of the step (forward, backward, Adam) in one compute pass.
    expect(st.webgpuPlans.length).toBe(1);
    expect(st.webgpuPlans[0]!.dispatches).toBeGreaterThan(50);
    expect(st.webgpuPlans[0]!.passes).toBe(1);
    for (const m of memory) expect(m, 'live tensors, GPU buffers and bytes after each replay').toEqual(memory[0]);
    const before = gpuMemory()[2];
    step.dispose();
    expect(gpuMemory()[2], 'dispose gives the plan buffers back').toBeLessThan(before);
  }, 60_000);

  it('replays predict bit-identically and captures again for a new batch size', async () => {
    if (!available) return;
    const { model } = makeTrainer();
    const predict = mt.compile((x: Tensor) => model.predict(x, { compile: false }));
    for (const rows of [B, B, B, B, B, B, 3, 3, 3, 3, 3, 3, B]) {
      const x = mt.randn([rows, 7], { backend: 'webgpu' });
      const e = model.predict(x, { compile: false });
      const c = predict(x);
      const [ea, eb, ca, cb] = await values([e.a!, e.b!, c.a!, c.b!]);
      expect(ca, `a for ${rows} rows`).toEqual(ea);
      expect(cb, `b for ${rows} rows`).toEqual(eb);
      mt.dispose([x, e, c]);
    }
    const st = predict.stats();
    expect(st.signatures).toBe(2);
    expect(st.replays).toBe(5);
    expect(st.webgpuReplays).toBe(5);
    expect(st.webgpuRefusals).toEqual([]);
    predict.dispose();
  }, 60_000);

  it('gives each replay fresh random offsets, as eager does, also with other random ops in between', async () => {
    if (!available) return;
    const f = (x: Tensor) => mt.add(x, mt.randn(x.shape, { backend: 'webgpu' }));
    const x = mt.zeros([4, 3], { backend: 'webgpu' });
    const sequence = async (h: (x: Tensor) => Tensor) => {
      mt.manualSeed(3);
      const out: number[][] = [];
      for (let i = 0; i < 8; i++) {
        const t = h(x);
        out.push((await values([t]))[0]!);
        t.dispose();
        if (i >= 5) mt.randn([7], { backend: 'webgpu' }).dispose();
      }
      return out;
    };
    const eager = await sequence(f);
    const g = mt.compile(f);
    expect(await sequence(g)).toEqual(eager);
    expect(g.stats().webgpuReplays).toBe(4);
    g.dispose();
    x.dispose();
  });

  it('re-runs a kernel whose value steps by a constant each call (a host scalar through zero) for its uniforms', async () => {
    if (!available) return;
    let calls = 0;
    const g = mt.compile((x: Tensor) => mt.mul(x, ++calls - 5));
    const x = mt.ones([300], { backend: 'webgpu' });
    const got: number[][] = [];
    for (let i = 0; i < 9; i++) {
      const r = g(x);
      got.push([...new Set((await values([r]))[0])]);
      r.dispose();
    }
    expect(got).toEqual([[-4], [-3], [-2], [-1], [0], [1], [2], [3], [4]]);
    expect(g.stats().webgpuReplays).toBe(5);
    g.dispose();
    x.dispose();
  });

  it('reports an out-of-range id of a replay at the next read, worded as eager words it', async () => {
    if (!available) return;
    const table = mt.randn([5, 3], { backend: 'webgpu' });
    const g = mt.compile((ids: Tensor) => mt.mul(mt.gather(table, ids, 0), 2));
    const ok = mt.tensor(new Int32Array([0, 4, 2]), { dtype: 'int32', backend: 'webgpu' });
    const want = (await values([mt.tidy(() => mt.mul(mt.gather(table, ok, 0), 2))]))[0];
    for (let i = 0; i < 5; i++) {
      const r = g(ok);
      expect((await values([r]))[0]).toEqual(want);
      r.dispose();
    }
    expect(g.stats().webgpuReplays).toBe(1);
    // Enough other tagged dispatches (on a table of 9 rows) to wrap the eager tag ring: the plan keeps its own
    // tags' wording.
    const other = mt.randn([9, 3], { backend: 'webgpu' });
    for (let i = 0; i < 4100; i++) mt.gather(other, ok, 0).dispose();
    other.dispose();
    const bad = mt.tensor(new Int32Array([0, 5, 2]), { dtype: 'int32', backend: 'webgpu' });
    const r = g(bad);
    expect(g.stats().webgpuReplays).toBe(2);
    await expect(r.data()).rejects.toThrow(/gather: index 5 \(at position 1\) out of range \[0, 5\)/);
    r.dispose();
    const again = g(ok); // the flag was cleared by the report
    expect((await values([again]))[0]).toEqual(want);
    mt.dispose([again, table, ok, bad]);
    g.dispose();
  }, 60_000);

  it('leaves a program that updates an input in place to the kernel-by-kernel replay, saying why', async () => {
    if (!available) return;
    const run = async (compiled: boolean) => {
      const w = mt.tensor([1, -2, 3], { backend: 'webgpu', requiresGrad: true });
      const opt = new mt.optim.SGD([w], { lr: 0.1 });
      const f = (p: Tensor): Tensor => {
        opt.zeroGrad();
        mt.tidy(() => mt.backward(mt.sum(mt.mul(p, p))));
        opt.step();
        return mt.mul(p, 1);
      };
      const h = compiled ? mt.compile(f) : f;
      const out: number[][] = [];
      for (let i = 0; i < 6; i++) {
        const r = h(w);
        out.push((await values([r]))[0]!);
        r.dispose();
      }
      w.dispose();
      return { out, stats: compiled ? (h as ReturnType<typeof mt.compile>).stats() : null };
    };
    const eager = await run(false);
    const compiled = await run(true);
    expect(compiled.out).toEqual(eager.out);
    expect(compiled.stats!.webgpuReplays).toBe(0);
    expect(compiled.stats!.webgpuRefusals).toEqual([
      'input 0 is updated in place by sgdUpdate (a prepared program copies inputs)',
    ]);
  });

  it('can be turned off: { webgpuPlan: false } replays kernel by kernel, with the same results', async () => {
    if (!available) return;
    const eager = makeTrainer();
    const captured = makeTrainer();
    const step = mt.compile(captured.step, { webgpuPlan: false });
    for (let s = 0; s < 6; s++) {
      const inp = batch(s);
      const le = eager.step(inp.x, inp.ya, inp.yb);
      const lc = step(inp.x, inp.ya, inp.yb);
      expect((await values([lc]))[0], `loss at step ${s}`).toEqual((await values([le]))[0]);
      mt.dispose([le, lc, inp.x, inp.ya, inp.yb]);
    }
    expect(step.stats()).toMatchObject({ replays: 2, webgpuReplays: 0, webgpuRefusals: [] });
  }, 60_000);
});
