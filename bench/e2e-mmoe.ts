/**
 * `npm run bench -- e2e-mmoe [--backend js,native,webgpu] [--steps N] [--config wide|census]`: MMoE training
 * throughput (forward + backward + Adam, samples/s) per backend, with peak RSS.
 *
 * Configs: "wide" (issue 7's anchor: input 512, 8 experts 512→256 ReLU, 2 tasks, towers 256→64→1, batch 1024; PyTorch
 * on this CPU ≈ 37,000 samples/s) and "census" (the default census model of `mtgrad train`: dense input of the
 * encoded census width 499, 8 experts →16, towers 16→8→1, batch 1024).
 * A training step takes from milliseconds to seconds, so this times whole steps with a plain loop (after warm-up
 * steps) rather than benny's many-sample harness; it reports the median and best step. On webgpu each timed step
 * ends with a readback of the loss, so GPU work is included.
 */
import { loadavg } from 'node:os';
import * as mt from '../src/index.js';
import { createModel } from '../src/models/index.js';

const CONFIGS = {
  wide: { batch: 1024, model: { inputDim: 512, numExperts: 8, expertDims: [256], towerDims: [64] } },
  census: { batch: 1024, model: { inputDim: 499, numExperts: 8, expertDims: [16], towerDims: [8] } },
} as const;

function arg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
}

async function measure(backend: 'js' | 'native' | 'webgpu', configName: keyof typeof CONFIGS, steps: number): Promise<string> {
  await mt.init({ backend });
  const cfg = CONFIGS[configName];
  mt.manualSeed(0);
  const model = createModel('mmoe', { ...cfg.model, tasks: [{ name: 'a' }, { name: 'b' }] }, { backend });
  const opt = new mt.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = mt.keep(mt.randn([cfg.batch, cfg.model.inputDim]));
  const labels = { a: mt.keep(mt.cast(mt.lt(mt.rand([cfg.batch]), 0.3), 'float32')), b: mt.keep(mt.cast(mt.lt(mt.rand([cfg.batch]), 0.6), 'float32')) };
  const step = (): mt.Tensor => mt.tidy(() => {
    opt.zeroGrad();
    const loss = model.loss(model.forward(x), labels);
    loss.backward();
    opt.step();
    return loss;
  });
  const timeStep = async (): Promise<number> => {
    const t0 = performance.now();
    const loss = step();
    await loss.data();
    loss.dispose();
    return performance.now() - t0;
  };
  for (let i = 0; i < 2; i++) await timeStep();
  const tensorsBefore = mt.memory().tensors;
  const times: number[] = [];
  // CPU time (all threads of the process) per step: steadier than wall time when other processes share the cores.
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) times.push(await timeStep());
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
  const leaked = mt.memory().tensors - tensorsBefore;
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const best = times[0];
  return `${configName.padEnd(7)} ${backend.padEnd(7)} batch ${cfg.batch}: median ${median.toFixed(1)} ms/step = ${Math.round(cfg.batch / median * 1000)} samples/s ` +
    `(best ${Math.round(cfg.batch / best * 1000)} at ${best.toFixed(1)} ms), CPU ${cpuMs.toFixed(1)} ms/step, ${steps} steps, ` +
    `live tensors Δ ${leaked}, load ${loadavg()[0]!.toFixed(2)}`;
}

export async function run(args: string[]): Promise<void> {
  const backends = arg(args, 'backend', 'js,native,webgpu').split(',') as ('js' | 'native' | 'webgpu')[];
  const configs = arg(args, 'config', 'census,wide').split(',') as (keyof typeof CONFIGS)[];
  const stepsArg = Number(arg(args, 'steps', '0'));
  for (const c of configs) {
    for (const b of backends) {
      const steps = stepsArg || (b === 'js' ? 3 : 10);
      try {
        console.log(await measure(b, c, steps));
      } catch (e) {
        console.log(`${c.padEnd(7)} ${b.padEnd(7)} unavailable: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}
