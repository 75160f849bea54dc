/**
 * `npm run bench -- webgpu-replay [--batch 1024,64] [--steps 12]`: where a WebGPU step's time goes, eager vs
 * mt.compile replayed kernel by kernel ({ webgpuPlan: false }) vs replayed through prepared commands (bind groups
 * and uniforms built once, one pass, one submit: src/compile/webgpu-plan.ts). The MMoE paper's census size
 * (input 500, 8 experts of 4, towers of 8; Adam), train step and predict.
 *
 * Per step: `js` = the synchronous call (ops, recording / encoding, submit — what runs on the main thread before
 * the GPU can finish), `wall` = until the loss (or the first output) is read back, `cpu` = process CPU per step
 * (on lavapipe this includes the shader work: the software GPU runs in this process). Medians; modes alternate
 * step by step, so load changes hit them alike. Ratios only within one run.
 */
import { loadavg } from 'node:os';
import * as mt from '../src/index.js';
import type { Tensor } from '../src/index.js';

const PAPER_SMALL = { inputDim: 500, numExperts: 8, expertDims: [4], towerDims: [8] };
const MODES = ['eager', 'kernel-by-kernel', 'prepared'] as const;
type Mode = (typeof MODES)[number];

function arg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
}

interface Sample {
  js: number[];
  wall: number[];
  cpu: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function setup(batch: number, mode: Mode) {
  mt.manualSeed(0);
  const tasks = [{ name: 'a' }, { name: 'b' }];
  const model = mt.createModel('mmoe', { ...PAPER_SMALL, tasks });
  const opt = new mt.optim.Adam(model.parameters(), { lr: 1e-3 });
  const coin = (seed: number) => Float32Array.from({ length: batch }, (_, i) => ((i * 7 + seed) % 3 === 0 ? 1 : 0));
  const x = mt.randn([batch, PAPER_SMALL.inputDim]);
  const ya = mt.tensor(coin(1));
  const yb = mt.tensor(coin(2));
  const step = (x: Tensor, ya: Tensor, yb: Tensor): Tensor => {
    opt.zeroGrad();
    const loss = mt.tidy(() => {
      const l = model.taskLosses(model.forward(x), { a: ya, b: yb });
      const total = mt.add(l.a!, l.b!);
      mt.backward(total);
      return total;
    });
    opt.step();
    return loss;
  };
  const predict = (x: Tensor): Tensor => mt.tidy(() => model.predict(x, { compile: false }).a!);
  const opts = { webgpuPlan: mode === 'prepared', fallback: 'error' as const };
  const train = mode === 'eager' ? step : mt.compile(step, opts);
  const infer = mode === 'eager' ? predict : mt.compile(predict, opts);
  return { model, x, ya, yb, train, infer };
}

async function once(s: Sample, body: () => Tensor): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = body();
  const t1 = performance.now();
  await r.data();
  const t2 = performance.now();
  const c = process.cpuUsage(c0);
  r.dispose();
  s.js.push(t1 - t0);
  s.wall.push(t2 - t0);
  s.cpu += (c.user + c.system) / 1000;
}

export async function run(args: string[]): Promise<void> {
  const { info } = await mt.init({ backend: 'webgpu' });
  console.log(`device: ${info.description}`);
  const steps = Number(arg(args, 'steps', '12'));
  for (const batch of arg(args, 'batch', '1024,64').split(',').map(Number)) {
    const runs = MODES.map((mode) => ({ mode, ...setup(batch, mode) }));
    for (const what of ['train', 'predict'] as const) {
      const samples = new Map<Mode, Sample>(MODES.map((m) => [m, { js: [], wall: [], cpu: 0 }]));
      for (let i = 0; i < 5 + steps; i++) {
        for (const r of runs) {
          const s = i < 5 ? { js: [], wall: [], cpu: 0 } : samples.get(r.mode)!; // 5 warm-up calls: capture
          await once(s, () => (what === 'train' ? r.train(r.x, r.ya, r.yb) : r.infer(r.x)));
        }
      }
      const eagerWall = median(samples.get('eager')!.wall);
      const eagerJs = median(samples.get('eager')!.js);
      for (const mode of MODES) {
        const s = samples.get(mode)!;
        const wall = median(s.wall);
        const js = median(s.js);
        console.log(
          `batch ${String(batch).padStart(5)} ${what.padEnd(7)} ${mode.padEnd(16)} wall ${wall.toFixed(2).padStart(8)} ms` +
            ` (${(eagerWall / wall).toFixed(2)}× eager)  js ${js.toFixed(3).padStart(8)} ms (${(eagerJs / js).toFixed(1)}× less)` +
            `  cpu ${(s.cpu / steps).toFixed(1).padStart(7)} ms/step`,
        );
      }
    }
    for (const r of runs) {
      if (r.mode !== 'eager') {
        const st = (r.train as ReturnType<typeof mt.compile>).stats();
        if (st.webgpuRefusals.length) console.log(`  (${r.mode} train refused: ${st.webgpuRefusals[0]})`);
        (r.train as ReturnType<typeof mt.compile>).dispose();
        (r.infer as ReturnType<typeof mt.compile>).dispose();
      }
      mt.dispose([r.x, r.ya, r.yb]);
      r.model.dispose();
    }
  }
  console.log(`load ${loadavg()[0]!.toFixed(2)}`);
}
