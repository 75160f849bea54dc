/**
 * Products sharing one A run as a group in the one-call native plan (src/compile/gemm-groups.ts, plan.cpp
 * P_SGEMM_GROUP): which instructions group, and that a grouped predict is bit-identical to eager on shapes that take
 * both skinny kernels (rowb for the expert layer, dot products for the gates), a K longer than one 64-deep chunk and
 * not a multiple of 16, row counts that are not multiples of the 21-row blocks, and bias + activation epilogues.
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import { gemmGroups } from '../../src/compile/gemm-groups.js';
import type { Instruction } from '../../src/compile/plan.js';
import { makeRef } from '../../src/compile/trace.js';

function matmul(
  a: unknown,
  b: unknown,
  result: number,
  p: Partial<{ batch: number; m: number; k: number; transA: boolean; bias: unknown }> = {},
): Instruction {
  const args = [a, b, { batch: 1, m: 10, k: 7, n: 3, transA: false, transB: true, ...p }];
  return {
    backend: 'native',
    method: 'matmul',
    args,
    patches: [],
    results: [result],
    resultKeys: null,
    frees: [],
    traced: { method: 'matmul', args } as unknown as Instruction['traced'],
  };
}
const x = makeRef({ ref: 'in', index: 0 });
const w = (i: number) => makeRef({ ref: 'in', index: 10 + i });
const tmp = (id: number) => makeRef({ ref: 'tmp', id });

describe('gemmGroups', () => {
  it('groups consecutive batch-1 products of the same A and shape, nothing else', () => {
    const other: Instruction = { ...matmul(x, w(0), 9), method: 'unary' };
    const ins = [
      matmul(x, w(0), 0),
      matmul(x, w(1), 1),
      matmul(x, w(2), 2, { bias: w(3) }),
      other, // breaks the run
      matmul(x, w(4), 3),
      matmul(tmp(3), w(5), 4), // another A
      matmul(tmp(3), w(6), 5, { k: 8 }), // another K
      matmul(tmp(3), w(6), 6, { k: 8 }),
      matmul(tmp(3), tmp(6), 7, { k: 8 }), // reads a member's result: not in the group
      matmul(x, w(7), 8, { batch: 2 }),
      matmul(x, w(8), 10, { batch: 2 }),
    ];
    const g = gemmGroups(ins);
    expect([...g.entries()]).toEqual([
      [0, { first: 0, last: 2 }],
      [1, { first: 0, last: 2 }],
      [2, { first: 0, last: 2 }],
      [6, { first: 6, last: 7 }],
      [7, { first: 6, last: 7 }],
    ]);
  });
});

describe('grouped products in the native plan', () => {
  it('a compiled MMoE predict (experts + gates over one input) equals eager bit for bit', async () => {
    try {
      await mt.init({ backend: 'native' });
    } catch (e) {
      if (process.env.CI || process.env.MTGRAD_REQUIRE) throw e;
      console.warn(`[gemm groups] SKIPPING: native backend unavailable (${(e as Error).message.split('\n')[0]})`);
      return;
    }
    for (const gateBias of [false, true]) {
      mt.manualSeed(11);
      // 6 experts of 5 (30 columns: rowb), gates of 6 (dot), K = 131 (> 64, not a multiple of 16).
      const model = createModel('mmoe', {
        inputDim: 131,
        tasks: [{ name: 'a' }, { name: 'b' }],
        numExperts: 6,
        expertDims: [5],
        towerDims: [3],
        gateBias,
      });
      for (const rows of [53, 53, 53, 53, 53, 200, 200, 200, 200, 200]) {
        const input = mt.randn([rows, 131]);
        const c = model.predict(input);
        const e = model.predict(input, { compile: false });
        for (const t of ['a', 'b'])
          expect(Array.from(await (c[t] as Tensor).data()), `${t}, ${rows} rows`).toEqual(
            Array.from(await (e[t] as Tensor).data()),
          );
        mt.dispose([input, ...Object.values(c), ...Object.values(e)]);
      }
      const st = model.predictStats()[0]!;
      expect(st.replays).toBeGreaterThan(0);
      expect(st.nativeReplays).toBe(st.replays);
      model.dispose();
    }
  });
});
