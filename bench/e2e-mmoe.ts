/**
 * `npm run bench -- e2e-mmoe [--backend js,native,webgpu] [--steps N] [--config census,wide]`: MMoE training
 * throughput (forward + backward + Adam, samples/s) per backend, with CPU time per step and peak RSS.
 *
 * The workloads are `mtgrad bench`'s (src/cli/commands/bench.ts): "census" = the default `mtgrad train` model on
 * census-shaped batches (31 categorical fields → embeddings, 7 numeric, 8 experts →16, towers 16→8→1); "wide" =
 * issue 7's anchor (input 512, 8 experts 512→256 ReLU, 2 tasks, towers 256→64→1; PyTorch on this CPU ≈ 37,000
 * samples/s). Batch 1024. A step takes milliseconds to seconds, so this times whole steps with a plain loop after
 * warm-up steps (not benny's many-sample harness) and reports the median and the best; each timed step ends with a
 * readback of the loss, so on webgpu the GPU work is included.
 */
import { loadavg } from 'node:os';
import * as mt from '../src/index.js';
import { e2eStep, e2eWorkload, E2E_CONFIGS } from '../src/cli/commands/bench.js';

type Config = (typeof E2E_CONFIGS)[number];
const BATCH = 1024;

function arg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
}

async function measure(backend: 'js' | 'native' | 'webgpu', config: Config, steps: number): Promise<string> {
  await mt.init({ backend });
  const w = e2eWorkload(config, BATCH);
  const opt = new mt.optim.Adam(w.model.parameters(), { lr: 1e-3 });
  const timeStep = async (): Promise<number> => {
    const t0 = performance.now();
    const loss = e2eStep(w, opt);
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
  w.model.dispose();
  mt.dispose([w.input, w.labels, w.masks]);
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const best = times[0];
  return `${config.padEnd(7)} ${backend.padEnd(7)} batch ${BATCH}: median ${median.toFixed(1)} ms/step = ${Math.round(BATCH / median * 1000)} samples/s ` +
    `(best ${Math.round(BATCH / best * 1000)} at ${best.toFixed(1)} ms), CPU ${cpuMs.toFixed(1)} ms/step, ${steps} steps, ` +
    `live tensors Δ ${leaked}, load ${loadavg()[0]!.toFixed(2)}`;
}

export async function run(args: string[]): Promise<void> {
  const backends = arg(args, 'backend', 'js,native,webgpu').split(',') as ('js' | 'native' | 'webgpu')[];
  const configs = arg(args, 'config', 'census,wide').split(',') as Config[];
  const unknown = configs.filter((c) => !(E2E_CONFIGS as readonly string[]).includes(c));
  if (unknown.length) throw new Error(`e2e-mmoe: unknown --config ${unknown.join(',')}; expected a comma-separated list of ${E2E_CONFIGS.join(', ')}`);
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
