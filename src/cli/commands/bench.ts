/**
 * `mtgrad bench`: short throughput measurements per backend.
 *  - kernels: a 512×512×512 float32 matmul (GFLOP/s) and a 1M-element add (GB/s moved), each read back;
 *  - end to end: MMoE training steps (forward + backward + Adam) on random census-shaped batches, in samples/s,
 *    with the default `mtgrad train` model config ('census') and/or a wide dense config ('wide'), and peak RSS.
 * Each measurement warms up once, then repeats for about --seconds. Numbers include read-back (a real sync).
 */
import { loadBackend, init } from '../../tensor/init.js';
import { manualSeed } from '../../tensor/engine.js';
import { tidy, dispose } from '../../tensor/scope.js';
import { randn, rand, tensor } from '../../ops/creation.js';
import { SeededRandom } from '../../data/random.js';
import { add } from '../../ops/elementwise.js';
import { matmul } from '../../ops/linalg.js';
import { backward } from '../../autograd/backward.js';
import { createModel } from '../../models/registry.js';
import { Adam } from '../../optim/adam.js';
import type { TaskModel } from '../../models/task-model.js';
import type { TabularInput } from '../../models/inputs.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Flags, parseCommand, UsageError, type CommandSpec } from '../args.js';
import { formatRate, renderTable } from '../format.js';
import { println, type CommandIO } from '../io.js';
import { DEFAULT_SIZES } from '../model-config.js';

export const benchSpec: CommandSpec = {
  name: 'bench',
  summary: 'Measure kernel and end-to-end MMoE training throughput on each available backend (a few seconds each).',
  usage: 'mtgrad bench [--backend all] [--config census|wide|all] [--seconds 1]',
  options: {
    backend: { type: 'string', value: 'NAME', help: 'all, js, native or webgpu', default: 'all' },
    seconds: { type: 'string', value: 'S', help: 'time per measurement', default: '1' },
    'batch-size': { type: 'string', value: 'N', help: 'end-to-end batch size', default: '1024' },
    config: {
      type: 'string',
      value: 'NAME',
      help: 'end-to-end model: census (the default train config), wide (512 inputs, 8 experts 512→256, towers 256→64→1), all',
      default: 'census',
    },
    json: { type: 'boolean', help: 'print the results as JSON' },
  },
};

/** Census group 1's shape: vocabulary sizes of its 31 categorical columns and 7 numeric columns. */
const CENSUS_VOCABULARIES = [
  10, 53, 48, 4, 25, 16, 6, 11, 3, 4, 7, 9, 7, 7, 52, 39, 9, 11, 10, 11, 4, 5, 6, 44, 44, 44, 6, 4, 4, 4, 3,
];
const CENSUS_NUMERIC = 7;

/** Runs fn until `seconds` have passed (at least twice after one warm-up); returns the mean seconds per call. */
async function timeIt(seconds: number, fn: () => Promise<void>): Promise<number> {
  await fn();
  let calls = 0;
  const start = performance.now();
  while (calls < 2 || performance.now() - start < seconds * 1000) {
    await fn();
    calls++;
  }
  return (performance.now() - start) / 1000 / calls;
}

async function readAndDispose(t: Tensor): Promise<void> {
  await t.data();
  t.dispose();
}

interface Result {
  backend: string;
  matmulGflops: number;
  addGBs: number;
  /** Training samples/s per end-to-end config (absent when not run). */
  census?: number;
  wide?: number;
  /** The process's peak resident set so far (it includes earlier backends' runs). */
  peakRssMiB: number;
}

async function benchBackend(
  name: 'js' | 'native' | 'webgpu',
  seconds: number,
  batch: number,
  configs: readonly E2EConfig[],
): Promise<Result> {
  await init({ backend: name });
  manualSeed(0);
  const n = 512;
  const [a, b] = [randn([n, n]), randn([n, n])];
  const matmulSeconds = await timeIt(seconds, () => readAndDispose(tidy(() => matmul(a, b))));
  const size = 1 << 20;
  const [x, y] = [rand([size]), rand([size])];
  const addSeconds = await timeIt(seconds, () => readAndDispose(tidy(() => add(x, y))));
  dispose([a, b, x, y]);

  const census = configs.includes('census') ? await endToEnd('census', seconds, batch) : undefined;
  const wide = configs.includes('wide') ? await endToEnd('wide', seconds, batch) : undefined;
  return {
    backend: name,
    matmulGflops: (2 * n ** 3) / matmulSeconds / 1e9,
    addGBs: (3 * 4 * size) / addSeconds / 1e9,
    census,
    wide,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

export const E2E_CONFIGS = ['census', 'wide'] as const;
type E2EConfig = (typeof E2E_CONFIGS)[number];

/** What an end-to-end measurement trains: the model, a fixed random batch (labels and masks), ready to step. */
export interface E2EWorkload {
  model: TaskModel<TabularInput>;
  input: TabularInput;
  labels: Record<string, Tensor>;
  masks: Record<string, Tensor>;
  batch: number;
}

/**
 * The two end-to-end workloads (shared with bench/e2e-mmoe.ts, so every figure measures the same thing). 'census':
 * the default `mtgrad train` model on census-shaped random batches (31 categorical columns with census's vocabulary
 * sizes, 7 numeric). 'wide': a dense input of 512, 8 experts 512→256 ReLU, 2 tasks, towers 256→64→1.
 */
export function e2eWorkload(config: E2EConfig, batch: number): E2EWorkload {
  manualSeed(0);
  const tasks = [{ name: 'a' }, { name: 'b' }];
  const model =
    config === 'census'
      ? createModel('mmoe', {
          features: {
            categorical: CENSUS_VOCABULARIES.map((v, i) => ({ name: `c${i}`, vocabularySize: v })),
            numeric: Array.from({ length: CENSUS_NUMERIC }, (_, i) => ({ name: `n${i}` })),
            embeddingDim: DEFAULT_SIZES.embeddingDim,
          },
          tasks,
          numExperts: DEFAULT_SIZES.experts,
          expertDims: [...DEFAULT_SIZES.expertDims],
          towerDims: [...DEFAULT_SIZES.towerDims],
        })
      : createModel('mmoe', { inputDim: 512, tasks, numExperts: 8, expertDims: [256], towerDims: [64] });
  // Random inputs and labels: the throughput does not depend on the values.
  const rng = new SeededRandom(0);
  const coin = () => Float32Array.from({ length: batch }, () => rng.nextInt(2));
  let input: TabularInput;
  if (config === 'census') {
    const ids = new Int32Array(batch * CENSUS_VOCABULARIES.length);
    for (let i = 0; i < ids.length; i++) ids[i] = rng.nextInt(CENSUS_VOCABULARIES[i % CENSUS_VOCABULARIES.length]);
    input = {
      cat: tensor(ids, { dtype: 'int32', shape: [batch, CENSUS_VOCABULARIES.length] }),
      num: randn([batch, CENSUS_NUMERIC]),
    };
  } else {
    input = randn([batch, 512]);
  }
  const ones = new Float32Array(batch).fill(1);
  return {
    model,
    input,
    batch,
    labels: { a: tensor(coin()), b: tensor(coin()) },
    masks: { a: tensor(ones), b: tensor(ones) },
  };
}

/** One training step (forward, backward, then the optimizer), returning the total loss (to read back and dispose). */
export function e2eStep(w: E2EWorkload, optimizer: { step(): void; zeroGrad(): void }): Tensor {
  optimizer.zeroGrad();
  const loss = tidy(() => {
    const losses = w.model.taskLosses(w.model.forward(w.input), w.labels, w.masks);
    const total = add(losses.a, losses.b);
    backward(total);
    return total;
  });
  optimizer.step();
  return loss;
}

/** MMoE training steps per second × batch. */
async function endToEnd(config: E2EConfig, seconds: number, batch: number): Promise<number> {
  const w = e2eWorkload(config, batch);
  const optimizer = new Adam(w.model.parameters(), { lr: 1e-3 });
  const stepSeconds = await timeIt(seconds, () => readAndDispose(e2eStep(w, optimizer)));
  w.model.dispose();
  optimizer.dispose();
  dispose([w.input, w.labels, w.masks]);
  return batch / stepSeconds;
}

export async function benchCommand(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommand(benchSpec, argv, (t) => io.stdout.write(t));
  if (!parsed) return 0;
  const f = new Flags('bench', parsed.values);
  const which = f.oneOf('backend', ['all', 'js', 'native', 'webgpu'] as const)!;
  const seconds = f.number('seconds', { positive: true })!;
  const batch = f.int('batch-size')!;
  const configChoice = f.oneOf('config', ['census', 'wide', 'all'] as const)!;
  const configs: readonly E2EConfig[] = configChoice === 'all' ? E2E_CONFIGS : [configChoice];
  const names = which === 'all' ? (['js', 'native', 'webgpu'] as const) : [which];
  const results: Result[] = [];
  for (const name of names) {
    try {
      await loadBackend(name);
    } catch (error) {
      if (which !== 'all')
        throw new UsageError(`backend '${name}' is not available: ${(error as Error).message.split('\n')[0]}`);
      println(io.stderr, `bench: skipping ${name}: ${(error as Error).message.split('\n')[0]}`);
      continue;
    }
    println(io.stderr, `bench: ${name}...`);
    results.push(await benchBackend(name, seconds, batch, configs));
  }
  if (f.boolean('json')) println(io.stdout, JSON.stringify(results));
  else {
    println(
      io.stdout,
      renderTable(
        [
          'backend',
          'matmul 512³ GFLOP/s',
          'add 1M GB/s',
          ...configs.map((c) => `MMoE ${c} train samples/s`),
          'peak RSS MiB',
        ],
        results.map((r) => [
          r.backend,
          r.matmulGflops.toFixed(1),
          r.addGBs.toFixed(2),
          ...configs.map((c) => formatRate(r[c] ?? NaN)),
          r.peakRssMiB.toFixed(0),
        ]),
      ),
    );
    println(
      io.stdout,
      `(batch ${batch}; forward + backward + Adam; peak RSS is the process's, cumulative over the backends above)`,
    );
  }
  return 0;
}
