/**
 * `npm run bench -- webgpu-matmul [--quick] [--sizes 512x512x512,...]`: float32 GEMM GFLOP/s of the webgpu
 * backend at issue 3's sizes plus 4096³ (m×k×n). Times only GPU work: per size, one warm-up dispatch (pipeline
 * compile) and a calibration run, then `iters` matmuls recorded into as few submissions as the recorder makes,
 * timed from the first record to queue.onSubmittedWorkDone() — no readback inside the timed region (one small
 * read at the end checks a value). Also the tile plan each size gets, and the adapter.
 * With `--tfjs`: side by side with TensorFlow.js's WebGPU backend on the same adapter (bench/webgpu-vs-tfjs.ts).
 */
import type { MatmulParams, Storage } from '../src/backends/kernels.js';
import { createWebGpuBackend, type WebGpuBackend } from '../src/backends/webgpu/index.js';
import { planMatmul, type MatmulPlan } from '../src/backends/webgpu/ops/matmul-tuning.js';
import { SHAPES } from './matmul.js';
import { randomArray } from './inputs.js';

const ALL_SIZES: (readonly [number, number, number])[] = [...SHAPES, [4096, 4096, 4096]];

/** The kernel and block (rows × columns [× k-tile]) a plan uses. */
export function planLabel(plan: MatmulPlan): string {
  if (plan.kind === 'splitK') return `splitK ${plan.splits}`;
  if (plan.kind === 'direct') return `direct ${plan.tile.wgY * plan.tile.tm}×${plan.tile.wgX * plan.tile.tn4 * 4}`;
  return `tiled ${plan.tile.wgY * plan.tile.tm}×${plan.tile.wgX * plan.tile.tn}×${plan.tile.tk}`;
}

/** Records `iters` matmuls, waits for the queue, returns seconds. */
async function timeMatmuls(
  gpu: WebGpuBackend,
  a: Storage,
  b: Storage,
  p: MatmulParams,
  iters: number,
): Promise<number> {
  gpu.flush();
  await gpu.core.device.queue.onSubmittedWorkDone();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) gpu.dispose(gpu.matmul(a, b, p));
  gpu.flush();
  await gpu.core.device.queue.onSubmittedWorkDone();
  return (performance.now() - t0) / 1000;
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--tfjs')) {
    await (await import('./webgpu-vs-tfjs.js')).run(args);
    return;
  }
  const quick = args.includes('--quick');
  const sizesArg = args[args.indexOf('--sizes') + 1];
  const sizes =
    args.includes('--sizes') && sizesArg
      ? sizesArg.split(',').map((s) => s.split('x').map(Number) as unknown as readonly [number, number, number])
      : ALL_SIZES;
  const gpu = await createWebGpuBackend();
  const info = gpu.info();
  console.log(`webgpu matmul on ${info.description}`);
  const targetSeconds = quick ? 0.3 : 1.5;
  const rows: Record<string, string>[] = [];
  for (const [m, k, n] of sizes) {
    const a = gpu.upload(randomArray(m * k, 1), 'float32');
    const b = gpu.upload(randomArray(k * n, 2), 'float32');
    const p: MatmulParams = { batch: 1, m, k, n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    const check = gpu.matmul(a, b, p);
    const first = (await gpu.read(check))[0]!; // compiles the pipeline, warms the allocator
    let expected = 0;
    const aHost = randomArray(m * k, 1),
      bHost = randomArray(k * n, 2);
    for (let i = 0; i < k; i++) expected += aHost[i]! * bHost[i * n]!;
    gpu.dispose(check);
    const once = await timeMatmuls(gpu, a, b, p, 1);
    // A single run longer than the target is its own measurement (4096³ takes about a minute on lavapipe).
    const iters = Math.max(1, Math.min(500, Math.round(targetSeconds / once)));
    const timedIters = once >= targetSeconds ? 1 : iters;
    const seconds = timedIters === 1 ? once : await timeMatmuls(gpu, a, b, p, timedIters);
    const gflops = (2 * m * k * n * timedIters) / seconds / 1e9;
    const plan = planMatmul(1, m, n, k, info.isSoftware === true);
    rows.push({
      'm×k×n': `${m}×${k}×${n}`,
      'GFLOP/s': gflops.toFixed(1),
      iters: String(timedIters),
      'ms/iter': ((seconds / timedIters) * 1000).toFixed(2),
      plan: planLabel(plan),
      'c[0,0] ok': String(Math.abs(first - expected) <= 1e-3 * Math.sqrt(k)),
    });
    gpu.dispose(a);
    gpu.dispose(b);
    console.log(rows[rows.length - 1]);
  }
  console.table(rows);
  gpu.destroy();
}
