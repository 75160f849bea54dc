/**
 * The gatedMixture part of `npm run bench -- matmul`: batch 1024, 8 experts, d 256. The fused kernel (softmax of
 * the gate logits and the weighted sum in one pass) against the same output composed from primitive kernels
 * (softmax, permute, broadcast mul, sum over experts), on each backend; plus the fused backward.
 */
import b from 'benny';
import type { Backend } from '../src/backends/kernels.js';
import { composedGatedMixture, randomArray } from './inputs.js';

const E = 8,
  B = 1024,
  D = 256;

const MIX = { e: E, b: B, d: D, t: 1, layout: 'EBD', activation: 'none' } as const;

export async function gatedMixtureBench(js: Backend, nat: Backend | null, quick: boolean): Promise<void> {
  const ex = randomArray(E * B * D, 1, 4),
    lg = randomArray(B * E, 2, 4),
    go = randomArray(B * D, 3, 4);
  const opts = { minSamples: quick ? 5 : 20, maxTime: quick ? 0.5 : 2 };
  const cases = [];
  for (const be of nat ? [js, nat] : [js]) {
    const experts = be.upload(ex, 'float32'),
      logits = be.upload(lg, 'float32'),
      gOut = be.upload(go, 'float32');
    const { weights } = be.gatedMixture(experts, logits, MIX);
    cases.push(
      b.add(
        `${be.name} fused`,
        () => {
          const r = be.gatedMixture(experts, logits, MIX);
          be.dispose(r.out);
          be.dispose(r.weights);
        },
        opts,
      ),
      b.add(`${be.name} composed`, () => be.dispose(composedGatedMixture(be, experts, logits, E, B, D)), opts),
      b.add(
        `${be.name} fused backward`,
        () => {
          const r = be.gatedMixtureBackward(gOut, experts, weights, MIX);
          be.dispose(r.gExperts);
          be.dispose(r.gLogits);
        },
        opts,
      ),
    );
  }
  const summary = await b.suite(`gatedMixture E=${E} B=${B} D=${D}`, ...cases, b.cycle(), b.complete());
  console.log(`\ngatedMixture E=${E} B=${B} D=${D}: µs per call (best sample / median)`);
  const us = (name: string) => summary.results.find((r) => r.name === name);
  for (const be of nat ? [js, nat] : [js]) {
    const f = us(`${be.name} fused`)!,
      c = us(`${be.name} composed`)!,
      bw = us(`${be.name} fused backward`)!;
    const t = (r: typeof f) => `${(r.details.min * 1e6).toFixed(0)} / ${(r.details.median * 1e6).toFixed(0)}`;
    console.log(
      `  ${be.name.padEnd(7)} fused ${t(f)}   composed ${t(c)}   (fused ${(c.details.median / f.details.median).toFixed(1)}x faster)   fused backward ${t(bw)}`,
    );
  }
}
