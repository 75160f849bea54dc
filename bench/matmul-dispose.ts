/**
 * Memory outside tidy, as a speed: `mt.matmul(a, b)` then `dispose()` in a loop must run as fast as the same matmul
 * inside `tidy` — each call reuses the pooled output buffer instead of touching fresh pages (1024×512 @ 512×256,
 * a 1024×256 = 1 MiB float32 result). Both rows are measured in the same run, so their ratio holds on a busy machine.
 */
import b from 'benny';
import * as mt from '../src/index.js';
import { randomArray } from './inputs.js';

export async function matmulDisposeBench(quick: boolean): Promise<void> {
  let backend = 'native';
  try {
    await mt.init({ backend: 'native' });
  } catch {
    backend = 'js';
  }
  const [m, k, n] = [1024, 512, 256];
  const flops = 2 * m * k * n;
  const a = mt.keep(mt.tensor(randomArray(m * k, 7), { shape: [m, k], backend }));
  const w = mt.keep(mt.tensor(randomArray(k * n, 8), { shape: [k, n], backend }));
  const before = mt.memory();
  const opts = { minSamples: quick ? 5 : 20, maxTime: quick ? 1 : 3 };
  const summary = await b.suite(
    `public-API matmul ${m}x${k}x${n} on ${backend}: dispose() vs tidy`,
    b.add(
      'mt.matmul + dispose',
      () => {
        mt.matmul(a, w).dispose();
      },
      opts,
    ),
    b.add(
      'tidy(mt.matmul)',
      () => {
        mt.tidy(() => {
          mt.matmul(a, w);
        });
      },
      opts,
    ),
    b.cycle(),
    b.complete(),
  );
  // benny runs the two cases one after the other; on a shared machine the load drifts between them. Interleaved
  // rounds (a few calls of each, alternating) give a ratio both sides of which saw the same load.
  const perCall = { dispose: [] as number[], tidy: [] as number[] };
  const time = (f: () => void, reps: number) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) f();
    return Number(process.hrtime.bigint() - t0) / 1e6 / reps;
  };
  for (let round = 0; round < (quick ? 20 : 60); round++) {
    perCall.dispose.push(time(() => mt.matmul(a, w).dispose(), 3));
    perCall.tidy.push(
      time(
        () =>
          mt.tidy(() => {
            mt.matmul(a, w);
          }),
        3,
      ),
    );
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const md = median(perCall.dispose),
    mtd = median(perCall.tidy);
  console.log(
    `interleaved rounds: median ms/call dispose ${md.toFixed(2)}, tidy ${mtd.toFixed(2)}; dispose runs at ${((100 * mtd) / md).toFixed(0)}% of the tidy loop's speed`,
  );
  const after = mt.memory();
  const gf = (name: string) => {
    const r = summary.results.find((x) => x.name === name)!;
    return { best: flops / r.details.min / 1e9, median: flops / r.details.median / 1e9 };
  };
  const d = gf('mt.matmul + dispose'),
    t = gf('tidy(mt.matmul)');
  console.log(
    `\nmatmul ${m}x${k}x${n} (${backend}), GFLOP/s best (median): dispose ${d.best.toFixed(1)} (${d.median.toFixed(1)}), tidy ${t.best.toFixed(1)} (${t.median.toFixed(1)}), dispose/tidy ${((100 * d.median) / t.median).toFixed(0)}% of median`,
  );
  console.log(
    `memory() across both loops: tensors ${before.tensors} -> ${after.tensors}, bytes ${before.bytes} -> ${after.bytes}`,
  );
  mt.dispose([a, w]);
}
