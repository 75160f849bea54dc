/**
 * `npm run bench -- op-overhead [--backend js,native] [--n 20000]`: where the microseconds of one small eager op
 * go — an 8×8 add measured layer by layer, from the public API down to the bare kernel:
 *   api+grad   mt.add on inputs that require grad (records a tape node), then dispose
 *   api        mt.add(a, b), then dispose (op checks, Tensor, engine tracking, scope bookkeeping)
 *   backend    backend.binary(...) + backend.dispose (the kernel interface as the engine registers it: the
 *              validating layer's checks, then the backend's allocation and kernel)
 *   addon      addon.binary into a preallocated output (native only: one N-API crossing + the kernel)
 *   compiled   one op of a compiled chain of 10 adds, replayed (mt.compile; per op)
 * plus 8×8 matmul through the API. Times are per op, median of 5 rounds of n ops each; the machine's load
 * distorts absolute values, so compare rows within one run.
 */
import { loadavg } from 'node:os';
import * as mt from '../src/index.js';
import { engine } from '../src/tensor/engine.js';
import { NativeBackend } from '../src/backends/native/backend.js';
import { opCodes } from '../src/backends/native/addon.js';
import type { BinaryOp } from '../src/backends/kernels.js';

function arg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
}

/** Median over 5 rounds of the µs per iteration of body (run n times per round, after one warm-up round). */
function perOp(n: number, body: () => void, opsPerIteration = 1): number {
  const rounds: number[] = [];
  for (let r = 0; r < 6; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) body();
    const us = ((performance.now() - t0) * 1000) / n / opsPerIteration;
    if (r > 0) rounds.push(us);
  }
  rounds.sort((a, b) => a - b);
  return rounds[Math.floor(rounds.length / 2)]!;
}

async function measure(backend: 'js' | 'native', n: number): Promise<string[]> {
  await mt.init({ backend });
  const rows: string[] = [];
  const show = (what: string, us: number) =>
    rows.push(`${backend.padEnd(7)} ${what.padEnd(34)} ${us.toFixed(2).padStart(7)} µs/op`);
  const a = mt.randn([8, 8]),
    b = mt.randn([8, 8]);
  const ga = mt.randn([8, 8]).requiresGrad_(),
    gb = mt.randn([8, 8]).requiresGrad_();
  show(
    '8×8 add, api + grad recording',
    perOp(n, () => {
      mt.add(ga, gb).dispose();
    }),
  );
  show(
    '8×8 add, api',
    perOp(n, () => {
      mt.add(a, b).dispose();
    }),
  );
  show(
    '8×8 matmul, api',
    perOp(n, () => {
      mt.matmul(a, b).dispose();
    }),
  );
  const be = engine.backendOf(a.storage);
  const shape = [8, 8];
  show(
    '8×8 add, backend.binary + dispose',
    perOp(n, () => {
      be.dispose(be.binary('add', a.storage, b.storage, shape, shape, shape));
    }),
  );
  // The engine registers backends behind the validating layer; the bare addon call needs the raw backend.
  const raw = 'inner' in be ? (be as { inner: unknown }).inner : be;
  if (raw instanceof NativeBackend) {
    const ad = raw.dataOf(a.storage) as Float32Array,
      bd = raw.dataOf(b.storage) as Float32Array,
      out = new Float32Array(64);
    const add = opCodes<BinaryOp>(raw.addon.opNames.binary).add; // the addon's own code for 'add'
    show(
      '8×8 add, addon.binary (N-API + kernel)',
      perOp(n, () => {
        raw.addon.binary(add, ad, bd, out, shape, shape, shape);
      }),
    );
  }
  const chain = mt.compile((x: mt.Tensor, y: mt.Tensor) => {
    let z = mt.add(x, y);
    for (let i = 0; i < 9; i++) {
      const next = mt.add(z, y);
      z.dispose();
      z = next;
    }
    return z;
  });
  show(
    '8×8 add, compiled chain of 10 (per op)',
    perOp(
      Math.ceil(n / 10),
      () => {
        chain(a, b).dispose();
      },
      10,
    ),
  );
  const fb = mt.compile((x: mt.Tensor, y: mt.Tensor) => {
    const loss = mt.tidy(() => {
      let z = mt.mul(x, y);
      for (let i = 0; i < 9; i++) z = mt.mul(z, y);
      const l = mt.sum(z);
      mt.backward(l);
      return l;
    });
    return loss;
  });
  const gx = mt.randn([8, 8]).requiresGrad_();
  const eagerFb = () => {
    const l = mt.tidy(() => {
      let z = mt.mul(gx, b);
      for (let i = 0; i < 9; i++) z = mt.mul(z, b);
      const s = mt.sum(z);
      mt.backward(s);
      return s;
    });
    l.dispose();
    if (gx.grad) {
      gx.grad.dispose();
      gx.grad = null;
    }
  };
  show('fwd+bwd of a 10-mul chain, eager (per op)', perOp(Math.ceil(n / 20), eagerFb, 10));
  const compiledFb = () => {
    fb(gx, b).dispose();
    if (gx.grad) {
      gx.grad.dispose();
      gx.grad = null;
    }
  };
  show('fwd+bwd of a 10-mul chain, compiled (per op)', perOp(Math.ceil(n / 20), compiledFb, 10));
  chain.dispose();
  fb.dispose();
  mt.dispose([a, b, ga, gb, gx]);
  return rows;
}

export async function run(args: string[]): Promise<void> {
  const backends = arg(args, 'backend', 'js,native').split(',') as ('js' | 'native')[];
  const n = Number(arg(args, 'n', '20000'));
  for (const b of backends) {
    try {
      for (const row of await measure(b, n)) console.log(row);
    } catch (e) {
      console.log(`${b.padEnd(7)} unavailable: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  console.log(`load ${loadavg()[0]!.toFixed(2)} (rows are comparable within this run only)`);
}
