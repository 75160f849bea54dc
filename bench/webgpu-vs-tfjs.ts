/**
 * `npm run bench -- webgpu-matmul --tfjs [--quick] [--big] [--reps N] [--sizes 512x512x512,...] [--no-gated]`
 * (or `npm run bench -- webgpu-vs-tfjs ...`): float32 GEMM GFLOP/s of mtgrad's webgpu backend next to
 * TensorFlow.js's WebGPU backend (@tensorflow/tfjs-backend-webgpu, a dev dependency), both driven in the same
 * process by the same Dawn instance (tfjs finds it as `navigator.gpu`, the `GPU` object mtgrad's gpu-context
 * created), so the same adapter. Sizes are m×k×n: issue 3's five plus 4096³ with `--big` (over a minute per
 * library on lavapipe).
 *
 * Timing covers GPU work only, the same way for both libraries: with the queue idle, record `iters` matmuls
 * (mtgrad: into its recorder, then one flush; tfjs: `tf.matMul` in a loop inside `tf.tidy`, tfjs batching its own
 * submits, then its pending commands are submitted), then wait for `queue.onSubmittedWorkDone()`. No readback is
 * timed; one read per size afterwards checks row 0 of both results against a host computation. Warm-up runs
 * (pipeline compilation, buffer pools) are excluded. Samples of the two libraries alternate (mtgrad, tfjs, mtgrad,
 * …) so that load from other processes on a shared machine hits both alike; the table shows the best sample and
 * the median, and the ratio mtgrad/tfjs of each.
 *
 * Then gatedMixture (batch 1024, 8 experts, d 256) on webgpu: mtgrad's fused kernel, the same result composed
 * from mtgrad's primitive kernels (softmax, permute, broadcast mul, sum over experts), and from tfjs's ops.
 */
import type { MatmulParams, MixtureParams } from '../src/backends/kernels.js';
import { createWebGpuBackend, type WebGpuBackend } from '../src/backends/webgpu/index.js';
import { dawnGpu } from '../src/backends/webgpu/gpu-context.js';
import { planMatmul } from '../src/backends/webgpu/ops/matmul-tuning.js';
import { SHAPES } from './matmul.js';
import { planLabel } from './webgpu-matmul.js';
import { composedGatedMixture, randomArray } from './inputs.js';

type Size = readonly [number, number, number];
type Tf = typeof import('@tensorflow/tfjs-core');
type TfTensor = import('@tensorflow/tfjs-core').Tensor;
/** The parts of tfjs-webgpu's backend object used here: its device, and flushing its pending command encoder. */
interface TfWebGpuBackend {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};

/** Opens tfjs on its webgpu backend, on mtgrad's Dawn instance. */
async function openTfjs(): Promise<{ tf: Tf; backend: TfWebGpuBackend }> {
  const gpu = await dawnGpu(); // the one `create()` result of this process, kept referenced by gpu-context
  // Node 20 has no global navigator; tfjs-backend-webgpu registers itself at import only if navigator.gpu exists.
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  tf.env().set('WEBGPU_CPU_FORWARD', false); // never hand small ops to the CPU
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: setBackend("webgpu") failed');
  await tf.ready();
  if (tf.getBackend() !== 'webgpu') throw new Error(`tfjs runs on ${tf.getBackend()}, not webgpu`);
  const backend = tf.backend() as unknown as TfWebGpuBackend;
  if (
    typeof backend.submitQueue !== 'function' ||
    typeof backend.endComputePassEncoder !== 'function' ||
    !backend.device
  ) {
    throw new Error('tfjs webgpu backend: no device/endComputePassEncoder()/submitQueue() (internals changed)');
  }
  return { tf, backend };
}

/** Flushes tfjs's recorded commands and waits for the GPU. */
async function tfSettle(backend: TfWebGpuBackend): Promise<void> {
  // What tfjs itself does before a readback (getBufferData), minus the copy: end the open pass, submit.
  if (backend.commandEncoder) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  await backend.device.queue.onSubmittedWorkDone();
}

async function mtSettle(gpu: WebGpuBackend): Promise<void> {
  gpu.flush();
  await gpu.core.device.queue.onSubmittedWorkDone();
}

/** Seconds for `iters` calls of `record` (which only records GPU work), from an idle queue to the GPU done. */
async function timeGpu(record: () => void, settle: () => Promise<void>, iters: number): Promise<number> {
  await settle();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) record();
  await settle();
  return (performance.now() - t0) / 1000;
}

interface Sampled {
  best: number;
  median: number;
  iters: number;
}

/**
 * Alternates samples of the named cases: per case a warm-up call and a one-call timing pick `iters` so that a
 * sample lasts about `target` seconds (one call when a single call is longer), then `reps` rounds.
 * Returns seconds per call (best and median over the samples).
 */
async function sampleAlternating(
  cases: { name: string; record: () => void; settle: () => Promise<void> }[],
  target: number,
  reps: number,
): Promise<Map<string, Sampled>> {
  const iters = new Map<string, number>();
  const samples = new Map<string, number[]>();
  for (const c of cases) {
    await timeGpu(c.record, c.settle, 1); // warm-up: pipeline compilation, pools
    const once = await timeGpu(c.record, c.settle, 1);
    iters.set(c.name, once >= target ? 1 : Math.max(1, Math.min(1000, Math.round(target / once))));
    samples.set(c.name, once >= target ? [once] : []);
  }
  for (let r = 0; r < reps; r++) {
    for (const c of cases) {
      const it = iters.get(c.name)!;
      // A single call longer than the target: its timing run counts as the first sample.
      if (r === 0 && samples.get(c.name)!.length > 0) continue;
      samples.get(c.name)!.push((await timeGpu(c.record, c.settle, it)) / it);
    }
  }
  const out = new Map<string, Sampled>();
  for (const c of cases) {
    const s = samples.get(c.name)!;
    out.set(c.name, { best: Math.min(...s), median: median(s), iters: iters.get(c.name)! });
  }
  return out;
}

function hostRow0(a: Float32Array, b: Float32Array, k: number, n: number): Float32Array {
  const row = new Float32Array(n);
  for (let kk = 0; kk < k; kk++) {
    const av = a[kk]!;
    for (let j = 0; j < n; j++) row[j] += av * b[kk * n + j]!;
  }
  return row;
}

function maxRow0Error(got: ArrayLike<number>, want: Float32Array): number {
  let e = 0;
  for (let j = 0; j < want.length; j++) e = Math.max(e, Math.abs(got[j]! - want[j]!));
  return e;
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const big = args.includes('--big');
  const opt = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const sizesArg = opt('--sizes');
  const sizes: Size[] = sizesArg
    ? sizesArg.split(',').map((s) => s.split('x').map(Number) as unknown as Size)
    : [...SHAPES, ...(big ? [[4096, 4096, 4096] as const] : [])];
  const reps = Number(opt('--reps') ?? (quick ? 3 : 5));
  const target = quick ? 0.3 : 1;

  const gpu = await createWebGpuBackend();
  const info = gpu.info();
  const { tf, backend: tfb } = await openTfjs();
  console.log(`adapter: ${info.description}`);
  console.log(`tfjs ${tf.version_core} on backend '${tf.getBackend()}' (same Dawn instance)`);
  console.log(
    `${reps} alternating samples per library, each ~${target}s of GPU work (or one call); ` +
      'best / median; the machine may be shared, so the best is the least disturbed sample.\n',
  );

  const mtSettleFn = () => mtSettle(gpu);
  const tfSettleFn = () => tfSettle(tfb);
  const rows: Record<string, string>[] = [];
  for (const [m, k, n] of sizes) {
    const flops = 2 * m * k * n;
    const aHost = randomArray(m * k, 1),
      bHost = randomArray(k * n, 2);
    const a = gpu.upload(aHost, 'float32'),
      b = gpu.upload(bHost, 'float32');
    const p: MatmulParams = { batch: 1, m, k, n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    const ta = tf.tensor2d(aHost, [m, k]),
      tb = tf.tensor2d(bHost, [k, n]);
    const want = hostRow0(aHost, bHost, k, n);
    const tol = 1e-4 * Math.sqrt(k) * 4;
    // Correctness first (also the first warm-up of both).
    const mc = gpu.matmul(a, b, p);
    const mtErr = maxRow0Error((await gpu.read(mc)).subarray(0, n), want);
    gpu.dispose(mc);
    const tc = tf.matMul(ta, tb);
    const tfErr = maxRow0Error((await tc.data()).subarray(0, n), want);
    tc.dispose();

    const res = await sampleAlternating(
      [
        { name: 'mtgrad', record: () => gpu.dispose(gpu.matmul(a, b, p)), settle: mtSettleFn },
        {
          name: 'tfjs',
          record: () =>
            tf.tidy(() => {
              tf.matMul(ta, tb);
            }),
          settle: tfSettleFn,
        },
      ],
      target,
      reps,
    );
    const mt = res.get('mtgrad')!,
      tj = res.get('tfjs')!;
    const g = (s: number) => flops / s / 1e9;
    const plan = planMatmul(1, m, n, k, info.isSoftware === true);
    rows.push({
      'm×k×n': `${m}×${k}×${n}`,
      'mtgrad GFLOP/s best/med': `${g(mt.best).toFixed(2)} / ${g(mt.median).toFixed(2)}`,
      'tfjs GFLOP/s best/med': `${g(tj.best).toFixed(2)} / ${g(tj.median).toFixed(2)}`,
      'ratio best/med': `${(tj.best / mt.best).toFixed(2)} / ${(tj.median / mt.median).toFixed(2)}`,
      'iters mt/tf': `${mt.iters}/${tj.iters}`,
      'mtgrad plan': planLabel(plan),
      'row0 ok mt/tf': `${mtErr <= tol}/${tfErr <= tol}`,
    });
    console.log(rows[rows.length - 1]);
    gpu.dispose(a);
    gpu.dispose(b);
    ta.dispose();
    tb.dispose();
  }
  console.log('\nmatmul, float32, GFLOP/s (ratio = mtgrad / tfjs-webgpu; > 1: mtgrad faster)');
  console.table(rows);

  if (!args.includes('--no-gated')) await gatedBench(gpu, tf, tfb, target, reps);

  gpu.destroy();
  tf.removeBackend('webgpu'); // destroys tfjs's device
}

async function gatedBench(
  gpu: WebGpuBackend,
  tf: Tf,
  tfb: TfWebGpuBackend,
  target: number,
  reps: number,
): Promise<void> {
  const E = 8,
    B = 1024,
    D = 256;
  const mp: MixtureParams = { e: E, b: B, d: D, t: 1, layout: 'EBD', activation: 'none' };
  const ex = randomArray(E * B * D, 1, 4),
    lg = randomArray(B * E, 2, 4),
    go = randomArray(B * D, 3, 4);
  const experts = gpu.upload(ex, 'float32'),
    logits = gpu.upload(lg, 'float32'),
    gOut = gpu.upload(go, 'float32');
  const { weights } = gpu.gatedMixture(experts, logits, mp);
  const tEx = tf.tensor3d(ex, [E, B, D]),
    tLg = tf.tensor2d(lg, [B, E]);
  const tfComposed = (): TfTensor =>
    tf.tidy(() => tf.sum(tf.mul(tEx, tf.reshape(tf.transpose(tf.softmax(tLg)), [E, B, 1])), 0));

  // Same result from all three (max abs difference to the fused output).
  const fusedOut = await gpu.read(gpu.gatedMixture(experts, logits, mp).out);
  const compOut = await gpu.read(composedGatedMixture(gpu, experts, logits, E, B, D));
  const tfOut = await tfComposed().data();
  let dComp = 0,
    dTf = 0;
  for (let i = 0; i < fusedOut.length; i++) {
    dComp = Math.max(dComp, Math.abs(fusedOut[i]! - compOut[i]!));
    dTf = Math.max(dTf, Math.abs(fusedOut[i]! - tfOut[i]!));
  }

  const mtSettleFn = () => mtSettle(gpu);
  const res = await sampleAlternating(
    [
      {
        name: 'mtgrad fused',
        settle: mtSettleFn,
        record: () => {
          const r = gpu.gatedMixture(experts, logits, mp);
          gpu.dispose(r.out);
          gpu.dispose(r.weights);
        },
      },
      {
        name: 'mtgrad composed',
        settle: mtSettleFn,
        record: () => gpu.dispose(composedGatedMixture(gpu, experts, logits, E, B, D)),
      },
      { name: 'tfjs composed', settle: () => tfSettle(tfb), record: () => tfComposed().dispose() },
      {
        name: 'mtgrad fused backward',
        settle: mtSettleFn,
        record: () => {
          const r = gpu.gatedMixtureBackward(gOut, experts, weights, mp);
          gpu.dispose(r.gExperts);
          gpu.dispose(r.gLogits);
        },
      },
    ],
    target,
    reps,
  );
  const fused = res.get('mtgrad fused')!;
  console.log(`\ngatedMixture E=${E} B=${B} D=${D} on webgpu: µs per call, GPU time (best / median)`);
  console.table(
    [...res].map(([name, s]) => ({
      case: name,
      'µs best / median': `${(s.best * 1e6).toFixed(0)} / ${(s.median * 1e6).toFixed(0)}`,
      'vs mtgrad fused (median)':
        name === 'mtgrad fused' || name.includes('backward') ? '' : `${(s.median / fused.median).toFixed(2)}× slower`,
      iters: String(s.iters),
    })),
  );
  console.log(`max |fused − composed|: mtgrad ${dComp.toExponential(2)}, tfjs ${dTf.toExponential(2)}`);
  for (const s of [experts, logits, gOut, weights]) gpu.dispose(s);
  tEx.dispose();
  tLg.dispose();
}
