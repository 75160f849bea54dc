/**
 * `npm run bench -- matmul [--quick]`: float32 GEMM GFLOP/s of the js and native backends at the sizes of
 * issue 3, native on 1 thread and on all threads, next to NumPy/OpenBLAS measured in the same run; then the
 * fused gatedMixture kernel against the same result composed from primitive kernels; then peak RSS.
 * Timings come from benny (benchmark.js); the table shows the best sample (the machine is shared, so the best is
 * the least disturbed one) and the median.
 */
import b from 'benny';
import type { Backend, Storage } from '../src/backends/kernels.js';
import { JsBackend } from '../src/backends/js/index.js';
import { loadAddon, NativeBackend } from '../src/backends/native/index.js';
import { numpyMatmul } from './matmul-numpy.js';
import { gatedMixtureBench } from './matmul-gated.js';
import { randomArray } from './inputs.js';
import { matmulDisposeBench } from './matmul-dispose.js';

export const SHAPES = [
  [1024, 512, 256],
  [1024, 256, 128],
  [4096, 512, 512],
  [512, 512, 512],
  [2048, 2048, 2048],
] as const;

interface Row {
  shape: string;
  cells: Record<string, { best: number; median: number } | string>;
}

const fmt = (x: number): string => x.toFixed(1);

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const js = new JsBackend();
  let nat: NativeBackend | null = null;
  try {
    nat = new NativeBackend(loadAddon());
    console.log(`native: ${nat.info().description}`);
  } catch (e) {
    console.log(`native backend unavailable, measuring js only: ${(e as Error).message}`);
  }
  const allThreads = nat ? (nat.info().threads as number) : 1;
  const threadCounts = [...new Set([1, allThreads])];
  const rows: Row[] = [];

  for (const [m, k, n] of SHAPES) {
    const flops = 2 * m * k * n;
    const a = randomArray(m * k, m + k),
      bm = randomArray(k * n, k + n);
    const p = { batch: 1, m, k, n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    const operands = (be: Backend): [Storage, Storage] => [be.upload(a, 'float32'), be.upload(bm, 'float32')];
    const [aj, bj] = operands(js);
    const cases = [
      // The js reference is slow at the big sizes: few samples keep the run short.
      b.add('js', () => js.dispose(js.matmul(aj, bj, p)), {
        minSamples: flops > 1e10 ? 1 : 3,
        maxTime: quick ? 0.5 : 2,
      }),
    ];
    if (nat) {
      const [an, bn] = operands(nat);
      for (const t of threadCounts) {
        cases.push(
          b.add(
            `native ${t}T`,
            () => {
              nat!.setNumThreads(t);
              nat!.dispose(nat!.matmul(an, bn, p));
            },
            { minSamples: quick ? 5 : 20, maxTime: quick ? 1 : 3 },
          ),
        );
      }
    }
    const summary = await b.suite(
      `matmul ${m}x${k}x${n} (GFLOP/s = ${flops / 1e9} GFLOP / time)`,
      ...cases,
      b.cycle(),
      b.complete(),
    );
    const cells: Row['cells'] = {};
    for (const r of summary.results)
      cells[r.name] = { best: flops / r.details.min / 1e9, median: flops / r.details.median / 1e9 };
    rows.push({ shape: `${m}x${k}x${n}`, cells });
  }
  nat?.setNumThreads(allThreads);

  // NumPy/OpenBLAS in the same run, same shapes and thread counts.
  let numpyInfo = '';
  for (const t of threadCounts) {
    const r = numpyMatmul(SHAPES, t, quick ? 5 : 20);
    if (typeof r === 'string') {
      numpyInfo = r;
      rows.forEach((row) => {
        row.cells[`numpy ${t}T`] = 'n/a';
      });
      continue;
    }
    numpyInfo = `NumPy ${r.numpy}, ${r.core}`;
    SHAPES.forEach(([m, k, n], i) => {
      rows[i]!.cells[`numpy ${t}T`] = { best: (2 * m * k * n) / r.best[i]! / 1e9, median: NaN };
    });
  }

  const columns = ['js', ...threadCounts.flatMap((t) => [`native ${t}T`, `numpy ${t}T`, `ratio ${t}T`])];
  console.log(`\nfloat32 matmul, GFLOP/s (best sample; native median in parentheses). ${numpyInfo}`);
  console.log(['M×K×N', ...columns].map((c) => c.padEnd(16)).join(''));
  for (const row of rows) {
    const line = [row.shape.padEnd(16)];
    for (const c of columns) {
      let text: string;
      if (c.startsWith('ratio')) {
        const t = c.split(' ')[1]!;
        const nv = row.cells[`native ${t}`],
          np = row.cells[`numpy ${t}`];
        text = typeof nv === 'object' && typeof np === 'object' ? `${((100 * nv.best) / np.best).toFixed(0)}%` : 'n/a';
      } else {
        const v = row.cells[c];
        text =
          v === undefined
            ? 'n/a'
            : typeof v === 'string'
              ? v
              : c.startsWith('native')
                ? `${fmt(v.best)} (${fmt(v.median)})`
                : fmt(v.best);
      }
      line.push(text.padEnd(16));
    }
    console.log(line.join(''));
  }

  await gatedMixtureBench(js, nat, quick);
  await matmulDisposeBench(quick);

  const rss = process.resourceUsage().maxRSS; // KiB on Linux
  console.log(`\npeak RSS of this process: ${(rss / 1024).toFixed(0)} MiB`);
}
