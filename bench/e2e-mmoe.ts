/**
 * `npm run bench -- e2e-mmoe [--backend js,native,webgpu] [--steps N] [--config census,census-dense,wide,paper-small]
 *  [--mode eager,compiled] [--infer] [--against torch,onnxruntime]`: MMoE training throughput (forward + backward +
 * Adam, samples/s) per backend, eager and captured (mt.compile), with CPU time per step and peak RSS; --infer adds
 * inference rows (predict with its outputs disposed, eager inside tidy and compiled, and `mtgrad/infer`: the model
 * saved as a checkpoint, loaded with loadPredictor and scoring the encoded batch); --against torch measures the same
 * dense models in PyTorch (python3 + torch, bench/against/torch_mmoe.py) in the same run; --against onnxruntime
 * (with --infer) exports the bench's own model (same weights, in memory) to ONNX and times onnxruntime-node on the
 * same batch with the same thread count (bench/against/onnxruntime.ts), checking its scores against predict.
 *
 * The workloads: "census" = the default `mtgrad train` model on census-shaped batches (31 categorical fields →
 * embeddings, 7 numeric, 8 experts →16, towers 16→8→1); "wide" = input 512, 8 experts 512→256 ReLU, 2 tasks,
 * towers 256→64→1; "census-dense" = census with dense embedding gradients (the sparse/lazy rows of "census" read ids on
 * the host, which a capture cannot hold, so its compiled row runs eagerly and says so); "paper-small" = the MMoE paper's census size: input 500, 8 experts of 4, towers of 8. Batch
 * 1024. A step takes milliseconds, so this times whole steps with a plain loop after warm-up (the compiled rows
 * warm up past the capture: 1 eager + 3 traced calls) and reports the median and the best; each timed step ends
 * with a readback of the loss, so on webgpu the GPU work is included. Ratios are only meaningful within one run.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as mt from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { e2eWorkload, E2E_CONFIGS, type E2EWorkload } from '../src/cli/commands/bench.js';
import { loadPredictor, type EncodedRows, type Predictor } from '../src/infer/index.js';
import { saveCheckpoint } from '../src/train/checkpoint.js';
import type { TaskModel } from '../src/models/task-model.js';
import type { TabularInput } from '../src/models/inputs.js';
import { ortSession, type OrtRun } from './against/onnxruntime.js';

const CONFIGS = [...E2E_CONFIGS, 'census-dense', 'paper-small'] as const;
type Config = (typeof CONFIGS)[number];
type Mode = 'eager' | 'compiled';
const BATCH = 1024;
const PAPER_SMALL = { inputDim: 500, numExperts: 8, expertDims: [4], towerDims: [8] };

function arg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
}

function workload(config: Config): E2EWorkload {
  if (config === 'census-dense') {
    // The census model with dense embedding gradients: its step reads no ids on the host, so it can be captured.
    const w = e2eWorkload('census', BATCH);
    const cfg = w.model.config as Record<string, unknown> & { features: Record<string, unknown> };
    w.model.dispose();
    mt.manualSeed(0);
    return { ...w, model: mt.createModel('mmoe', { ...cfg, features: { ...cfg.features, sparse: false } }) };
  }
  if (config !== 'paper-small') return e2eWorkload(config, BATCH);
  mt.manualSeed(0);
  const tasks = [{ name: 'a' }, { name: 'b' }];
  const model = mt.createModel('mmoe', { ...PAPER_SMALL, tasks });
  const coin = (seed: number) => Float32Array.from({ length: BATCH }, (_, i) => ((i * 7 + seed) % 3 === 0 ? 1 : 0));
  const ones = new Float32Array(BATCH).fill(1);
  return {
    model,
    input: mt.randn([BATCH, PAPER_SMALL.inputDim]),
    batch: BATCH,
    labels: { a: mt.tensor(coin(1)), b: mt.tensor(coin(2)) },
    masks: { a: mt.tensor(ones), b: mt.tensor(ones) },
  };
}

/** The workload's input as a flat tensor list and back (compiled functions take tensors only). */
function inputTensors(input: unknown): { tensors: Tensor[]; rebuild: (ts: Tensor[]) => unknown } {
  if (input instanceof mt.Tensor) return { tensors: [input], rebuild: (ts) => ts[0] };
  const keys = Object.keys(input as object);
  return {
    tensors: keys.map((k) => (input as Record<string, Tensor>)[k]!),
    rebuild: (ts) => Object.fromEntries(keys.map((k, i) => [k, ts[i]])),
  };
}

interface Timing {
  median: number;
  best: number;
  cpuMs: number;
  leaked: number;
}

async function time(steps: number, warmup: number, body: () => Tensor | Record<string, Tensor>): Promise<Timing> {
  return timeAsync(steps, warmup, async () => {
    const r = body();
    const ts = r instanceof mt.Tensor ? [r] : Object.values(r);
    await ts[0]!.data();
    mt.dispose(ts);
  });
}

/** Times `body` (awaited) `steps` times after `warmup` untimed calls. */
async function timeAsync(steps: number, warmup: number, body: () => Promise<unknown>): Promise<Timing> {
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    await body();
    return performance.now() - t0;
  };
  for (let i = 0; i < warmup; i++) await once();
  const tensorsBefore = mt.memory().tensors;
  const times: number[] = [];
  // CPU time (all threads of the process) per step: steadier than wall time when other processes share the cores.
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) times.push(await once());
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)]!,
    best: times[0]!,
    cpuMs: (cpu.user + cpu.system) / 1000 / steps,
    leaked: mt.memory().tensors - tensorsBefore,
  };
}

function row(what: string, config: Config, backend: string, t: Timing, steps: number): string {
  return (
    `${config.padEnd(11)} ${backend.padEnd(7)} ${what.padEnd(15)} batch ${BATCH}: median ${t.median.toFixed(2)} ms = ${Math.round((BATCH / t.median) * 1000)} samples/s ` +
    `(best ${Math.round((BATCH / t.best) * 1000)}), CPU ${t.cpuMs.toFixed(2)} ms/step, ${steps} steps, live tensors Δ ${t.leaked}, load ${loadavg()[0]!.toFixed(2)}`
  );
}

async function measure(
  backend: 'js' | 'native' | 'webgpu',
  config: Config,
  steps: number,
  modes: readonly Mode[],
  infer: boolean,
  againstOrt: boolean,
): Promise<string[]> {
  await mt.init({ backend });
  const out: string[] = [];
  const rates = new Map<string, number>();
  const note = (what: string, t: Timing, ratio = true, n = steps) => {
    out.push(row(what, config, backend, t, n));
    if (ratio) rates.set(what, (BATCH / t.median) * 1000);
  };
  for (const mode of modes) {
    const w = workload(config);
    const opt = new mt.optim.Adam(w.model.parameters(), { lr: 1e-3 });
    const forward = w.model.forward.bind(w.model) as (x: unknown) => Record<string, Tensor>;
    const { tensors, rebuild } = inputTensors(w.input);
    const data = [...tensors, w.labels.a!, w.labels.b!, w.masks.a!, w.masks.b!];
    const k = tensors.length;
    const step = (...ts: Tensor[]): Tensor => {
      opt.zeroGrad();
      const loss = mt.tidy(() => {
        const losses = w.model.taskLosses(
          forward(rebuild(ts.slice(0, k))),
          { a: ts[k]!, b: ts[k + 1]! },
          { a: ts[k + 2]!, b: ts[k + 3]! },
        );
        const total = mt.add(losses.a!, losses.b!);
        mt.backward(total);
        return total;
      });
      opt.step();
      return loss;
    };
    // Eager fallback so that an uncapturable step (census: sparse embeddings read their ids on the host to pick
    // the rows Adam updates) still gets its row, marked with the reason.
    const compiledStep = mode === 'compiled' ? mt.compile(step, { name: 'trainStep', fallback: 'eager' }) : null;
    const trainTiming = await time(steps, compiledStep ? 5 : 2, () => (compiledStep ?? step)(...data));
    const refusals = [...(compiledStep?.stats().nativeRefusals ?? []), ...(compiledStep?.stats().webgpuRefusals ?? [])];
    const fellBack = compiledStep?.stats().fallbacks ?? [];
    note(`train ${mode}`, trainTiming, fellBack.length === 0); // no compiled/eager ratio for a step that ran eagerly
    if (refusals.length) out.push(`  (replayed kernel by kernel: ${refusals[0]})`);
    if (fellBack.length) out.push(`  (NOT captured, ran eagerly: ${fellBack[0]})`);
    compiledStep?.dispose();
    if (infer) {
      // Every zoo model has predict (MultiTaskModel); the ZooModel interface the workloads are typed with omits it.
      // The public path both ways: model.predict (compiled by default, eager with { compile: false }), outputs disposed.
      const predictOf = Reflect.get(w.model, 'predict') as (
        x: unknown,
        o: { compile: boolean },
      ) => Record<string, Tensor>;
      const compile = mode === 'compiled';
      const predict = () => predictOf.call(w.model, rebuild(tensors), { compile }); // time() reads and disposes the outputs
      note(`predict ${mode}`, await time(steps * 3, compile ? 5 : 2, predict), true, steps * 3);
      const ps = (Reflect.get(w.model, 'predictStats') as () => mt.CompileStats[]).call(w.model);
      if (compile && (ps[0]?.fallbacks.length ?? 0) > 0) out.push(`  (predict NOT captured: ${ps[0]!.fallbacks[0]})`);
      if (mode === modes[modes.length - 1]) {
        const rows = await encodedRows(w.input);
        const predictOnce = (compiled: boolean) => async () => {
          const r = predictOf.call(w.model, rebuild(tensors), { compile: compiled });
          await Object.values(r)[0]!.data();
          mt.dispose(Object.values(r));
        };
        await withPredictor(w.model, backend, async (predictor) => {
          const infer = () => predictor.score(rows);
          note('infer', await timeAsync(steps * 3, 5, infer), true, steps * 3);
          if (!againstOrt) return;
          const predicted = predictOf.call(w.model, rebuild(tensors), { compile: false });
          const ort = await openOrt(w.model, rows, predicted);
          mt.dispose(Object.values(predicted));
          if (typeof ort === 'string') {
            out.push(`${config.padEnd(11)} onnxruntime: not measured: ${ort}`);
            return;
          }
          try {
            // ORT and the three mtgrad paths take turns, a block of calls each per round, so all see the same load.
            const t = await interleaved(steps * 3, 5, {
              ORT: () => ort.run(),
              'predict eager': predictOnce(false),
              'predict compiled': predictOnce(true),
              infer,
            });
            out.push(
              `${config.padEnd(11)} ORT ${ort.version}, ${ort.threads} intra-op threads (mtgrad's pool), max |ORT − predict| = ${ort.maxDiff.toExponential(2)}; interleaved, a block of ${BLOCK} calls each per round (the first not counted):`,
            );
            for (const [what, timing] of Object.entries(t))
              out.push(`  ${row(what, config, what === 'ORT' ? 'ort' : backend, timing, steps * 3)}`);
            for (const what of ['predict eager', 'predict compiled', 'infer'])
              out.push(
                `${config.padEnd(11)} ${backend.padEnd(7)} ${what.padEnd(17)} / ORT = ${(t.ORT!.median / t[what]!.median).toFixed(2)}× (interleaved medians)`,
              );
          } finally {
            await ort.release();
          }
        });
      }
    }
    w.model.dispose();
    opt.dispose();
    mt.dispose([w.input as Tensor, w.labels, w.masks]);
  }
  for (const what of ['train', 'predict']) {
    const e = rates.get(`${what} eager`),
      c = rates.get(`${what} compiled`);
    if (e && c)
      out.push(`${config.padEnd(11)} ${backend.padEnd(7)} ${what}: compiled / eager = ${(c / e).toFixed(2)}×`);
  }
  for (const [k, v] of rates) lastRates.set(`${config}|${backend}|${k}`, v);
  return out;
}

/** The workload's input as encoded rows (what a loader or FittedSchema.encodeObjects gives mtgrad/infer). */
async function encodedRows(input: TabularInput): Promise<EncodedRows> {
  if (input instanceof mt.Tensor) {
    const num = (await input.data()) as Float32Array;
    return { size: input.shape[0]!, nCat: 0, nNum: input.shape[1]!, cat: new Int32Array(0), num };
  }
  const cat = input.cat ? ((await input.cat.data()) as Int32Array) : new Int32Array(0);
  const num = input.num ? ((await input.num.data()) as Float32Array) : new Float32Array(0);
  const size = (input.cat ?? input.num)!.shape[0]!;
  return { size, nCat: input.cat?.shape[1] ?? 0, nNum: input.num?.shape[1] ?? 0, cat, num };
}

/**
 * The mtgrad/infer path: the model saved as a checkpoint in a temp dir and loaded with loadPredictor (compile on by
 * default, as an embedding app gets it); predictor.score reads every output back.
 */
async function withPredictor(
  model: TaskModel<TabularInput>,
  backend: string,
  body: (p: Predictor) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mtgrad-bench-'));
  try {
    const path = join(dir, 'model.safetensors');
    await saveCheckpoint(path, { model });
    const predictor = await loadPredictor(path, { backend: backend as 'js' | 'native' | 'webgpu' });
    try {
      await body(predictor);
    } finally {
      predictor.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Several bodies timed in rounds, the order rotating, so they share the machine's load. Each body runs a block of
 * BLOCK calls per round and the block's first call is not counted. Before each block the process is let settle
 * until its threads are idle: a runtime whose idle threads spin-wait after a call would otherwise steal the cores
 * from whichever body runs next. Measured here: ONNX Runtime's intra-op pool keeps both cores busy for ~15-20 ms
 * after its last run, so without the settle every call of the next body (not only its first) competed with it;
 * ours spins up to 1 ms after a compiled step (MTGRAD_PLAN_SPIN_US).
 */
const BLOCK = 8;

/** Waits (up to 250 ms) until the process uses under 10 % of one core over a 2 ms window: every pool asleep. */
async function settle(): Promise<void> {
  const deadline = performance.now() + 250;
  while (performance.now() < deadline) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 2));
    const c = process.cpuUsage(c0);
    if ((c.user + c.system) / 1000 < 0.1 * (performance.now() - t0)) return;
  }
}

async function interleaved(
  steps: number,
  warmup: number,
  bodies: Record<string, () => Promise<unknown>>,
): Promise<Record<string, Timing>> {
  const names = Object.keys(bodies);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const cpu: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (const name of names) for (let i = 0; i < warmup; i++) await bodies[name]!();
  const rounds = Math.ceil(steps / (BLOCK - 1));
  for (let round = 0; round < rounds; round++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(round + j) % names.length]!;
      await settle();
      for (let call = 0; call < BLOCK; call++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await bodies[name]!();
        const dt = performance.now() - t0;
        const c = process.cpuUsage(c0);
        if (call === 0) continue;
        times[name]!.push(dt);
        cpu[name]! += (c.user + c.system) / 1000;
      }
    }
  }
  return Object.fromEntries(
    names.map((n) => {
      const ts = times[n]!.sort((a, b) => a - b);
      return [n, { median: ts[Math.floor(ts.length / 2)]!, best: ts[0]!, cpuMs: cpu[n]! / ts.length, leaked: 0 }];
    }),
  );
}

/** An ONNX Runtime session on the same model and batch (mtgrad's thread count), its scores checked against predict. */
async function openOrt(
  model: TaskModel<TabularInput>,
  rows: EncodedRows,
  predicted: Record<string, Tensor>,
): Promise<(OrtRun & { threads: number; maxDiff: number }) | string> {
  const threads = nativeThreads();
  const session = await ortSession(model, rows, threads);
  if (typeof session === 'string') return session;
  const scores = await session.run();
  let maxDiff = 0;
  for (const [task, t] of Object.entries(predicted)) {
    const mine = (await t.data()) as Float32Array;
    const theirs = scores[task];
    if (!theirs || theirs.length !== mine.length) {
      await session.release();
      return `the ONNX model's output '${task}' does not match predict's (${theirs?.length ?? 'missing'} vs ${mine.length} values)`;
    }
    for (let i = 0; i < mine.length; i++) maxDiff = Math.max(maxDiff, Math.abs(mine[i]! - theirs[i]!));
  }
  return Object.assign(session, { threads, maxDiff });
}

/** The native addon's pool size (what mtgrad computes with), else MTGRAD_NUM_THREADS, else 2. */
function nativeThreads(): number {
  try {
    const t = mt.backendInfo('native').threads;
    if (typeof t === 'number' && t > 0) return t;
  } catch {
    // native not initialised in this run (js/webgpu only): fall back to the configured count
  }
  return Number(process.env.MTGRAD_NUM_THREADS ?? 2);
}

const lastRates = new Map<string, number>();

/** PyTorch on the dense configs in this run (bench/against/torch_mmoe.py), or the reason it is unavailable. */
function againstTorch(configs: readonly Config[], steps: number): string[] {
  const dense = configs.filter((c) => !c.startsWith('census'));
  // OpenBLAS is left to pick its own kernels (the machine's OPENBLAS_CORETYPE/L2 overrides are for other tools).
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  // Debian's python3-torch lives in /usr/bin/python3, which a pyenv python3 earlier on PATH does not see.
  const candidates = [process.env.MTGRAD_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  let python: string | null = null,
    why = '';
  for (const p of candidates) {
    const probe = spawnSync(p, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', env });
    if (probe.status === 0) {
      python = p;
      break;
    }
    why = `${p}: ${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}`;
  }
  if (!python)
    return [
      `torch: unavailable (${why}); on Debian: apt-get install python3-torch libopenblas0-pthread, or set MTGRAD_PYTHON`,
    ];
  const script = join(dirname(fileURLToPath(import.meta.url)), 'against', 'torch_mmoe.py');
  const out: string[] = [];
  for (const c of dense) {
    const spec =
      c === 'wide'
        ? { inputDim: 512, experts: 8, expertDim: 256, towerDim: 64 }
        : { inputDim: 500, experts: 8, expertDim: 4, towerDim: 8 };
    const r = spawnSync(
      python,
      [script, JSON.stringify({ ...spec, batch: BATCH, steps, threads: Number(process.env.MTGRAD_NUM_THREADS ?? 2) })],
      { encoding: 'utf8', env },
    );
    if (r.status !== 0) {
      out.push(`torch ${c}: failed: ${r.stderr.trim().split('\n').pop()}`);
      continue;
    }
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { train: number; infer: number; version: string };
    out.push(
      `${c.padEnd(11)} torch ${res.version}: train ${Math.round(res.train)} samples/s, inference ${Math.round(res.infer)} samples/s`,
    );
    for (const [key, v] of lastRates) {
      const [config, backend, what] = key.split('|');
      if (config !== c) continue;
      const ref = what!.startsWith('train') ? res.train : res.infer;
      out.push(`${c.padEnd(11)} ${backend!.padEnd(7)} ${what!.padEnd(17)} / torch = ${(v / ref).toFixed(2)}×`);
    }
  }
  return out;
}

export async function run(args: string[]): Promise<void> {
  const backends = arg(args, 'backend', 'js,native,webgpu').split(',') as ('js' | 'native' | 'webgpu')[];
  const configs = arg(args, 'config', 'census,census-dense,wide,paper-small').split(',') as Config[];
  const unknown = configs.filter((c) => !(CONFIGS as readonly string[]).includes(c));
  if (unknown.length)
    throw new Error(
      `e2e-mmoe: unknown --config ${unknown.join(',')}; expected a comma-separated list of ${CONFIGS.join(', ')}`,
    );
  const modes = arg(args, 'mode', 'eager,compiled').split(',') as Mode[];
  if (modes.some((m) => m !== 'eager' && m !== 'compiled'))
    throw new Error(`e2e-mmoe: --mode takes eager and/or compiled, got ${modes.join(',')}`);
  const infer = args.includes('--infer');
  const against = arg(args, 'against', '').split(',').filter(Boolean);
  const bad = against.filter((a) => a !== 'torch' && a !== 'onnxruntime');
  if (bad.length) throw new Error(`e2e-mmoe: --against takes torch and/or onnxruntime, got ${bad.join(',')}`);
  const stepsArg = Number(arg(args, 'steps', '0'));
  for (const c of configs) {
    for (const b of backends) {
      const steps = stepsArg || (b === 'js' ? 3 : 10);
      try {
        for (const line of await measure(b, c, steps, modes, infer, against.includes('onnxruntime'))) console.log(line);
      } catch (e) {
        console.log(`${c.padEnd(11)} ${b.padEnd(7)} unavailable: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    // Right after this config's mtgrad rows, so both sides see the same machine load.
    if (against.includes('torch') && !c.startsWith('census'))
      for (const line of againstTorch([c], stepsArg || 10)) console.log(line);
  }
  if (against.includes('torch') && configs.some((c) => c.startsWith('census')))
    console.log('torch: census has no PyTorch twin here (embeddings); only wide and paper-small are compared');
  if (against.includes('onnxruntime') && !infer)
    console.log('onnxruntime: not measured — it is an inference comparison: add --infer');
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}
