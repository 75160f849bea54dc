/**
 * The MMoE + Adam train step and batches the compile tests capture (compile.test.ts, webgpu-plan.test.ts): built
 * twice from one seed, one copy stepped eagerly and one through mt.compile, so their losses and parameters can be
 * compared bit for bit.
 */
import * as mt from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';

export const TASKS = [{ name: 'a' }, { name: 'b' }];
/** The small MMoE most compile tests use: input 7, 3 experts of 5, towers of 4. */
export const SMALL_MMOE = { inputDim: 7, tasks: TASKS, numExperts: 3, expertDims: [5], towerDims: [4] };

export type MmoeConfig = typeof SMALL_MMOE;

/** A fresh model (seeded) with Adam, and its train step: zeroGrad, the two tasks' summed loss backward, step. */
export function mmoeTrainer(backend: string, config: MmoeConfig = SMALL_MMOE, seed = 42, lr = 0.05) {
  mt.manualSeed(seed);
  const model = createModel('mmoe', config, { backend });
  const opt = new mt.optim.Adam(model.parameters(), { lr });
  const step = (x: Tensor, ya: Tensor, yb: Tensor): Tensor => {
    opt.zeroGrad();
    const loss = mt.tidy(() => {
      const losses = model.taskLosses(model.forward(x), { a: ya, b: yb });
      const total = mt.add(losses.a!, losses.b!);
      mt.backward(total);
      return total;
    });
    opt.step();
    return loss;
  };
  return { model, opt, step };
}

/** Step `step`'s batch of `rows` rows of 7 inputs and two binary labels (deterministic, different per step). */
export function mmoeBatch(step: number, backend: string, rows: number): { x: Tensor; ya: Tensor; yb: Tensor } {
  const x = Float32Array.from({ length: rows * 7 }, (_, i) => Math.sin(i * 0.37 + step) * 2);
  const ya = Float32Array.from({ length: rows }, (_, i) => (i + step) % 2);
  const yb = Float32Array.from({ length: rows }, (_, i) => (i * 3 + step) % 2);
  return {
    x: mt.tensor(x, { shape: [rows, 7], backend }),
    ya: mt.tensor(ya, { backend }),
    yb: mt.tensor(yb, { backend }),
  };
}
