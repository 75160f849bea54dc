/**
 * GPU memory is finite: 10,000 training steps of a small MLP on the webgpu backend (forward, backward, Adam) must
 * keep the live tensor count, live bytes and the backend's buffer count flat. Loss is read back only every 1,000
 * steps (awaiting is expensive on Dawn), as a training loop should.
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { availability } from '../conformance/backends.js';

const webgpu = availability.find((b) => b.name === 'webgpu')!;

describe.skipIf(!webgpu.available)(
  `webgpu training loop memory${webgpu.available ? '' : ` (skipped: ${webgpu.reason})`}`,
  () => {
    it('10,000 steps of a small MLP keep memory() flat', async () => {
      const backend = 'webgpu';
      mt.manualSeed(5);
      const model = new mt.nn.MLP([6, 16, 1], { backend });
      const opt = new mt.optim.Adam(model.parameters(), { lr: 1e-2 });
      const x = mt.keep(mt.randn([32, 6], { backend }));
      const y = mt.keep(mt.cast(mt.gt(mt.sum(x, 1, true), 0), 'float32'));
      const step = (): mt.Tensor =>
        mt.tidy(() => {
          opt.zeroGrad();
          const loss = mt.bceWithLogits(model.forward(x), y);
          loss.backward();
          opt.step();
          return loss;
        });
      const snapshot = () => {
        const m = mt.memory();
        return [m.tensors, m.bytes, m.byBackend.webgpu.backend.buffers];
      };
      await step().data();
      const losses: number[] = [];
      let after1000: number[] = [];
      for (let i = 1; i <= 10_000; i++) {
        const loss = step();
        if (i % 1000 === 0) losses.push((await loss.data())[0]);
        loss.dispose();
        if (i === 1000) after1000 = snapshot();
      }
      expect(snapshot()).toEqual(after1000);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    }, 600_000);
  },
);
