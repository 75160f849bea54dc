/**
 * The gradient-manipulation and adaptive-weighting methods after LibMTL's list (CAGrad, Nash-MTL, IMTL,
 * Aligned-MTL, GradVac, RLW, DB-MTL, FAMO, GradDrop): their small host solvers against closed forms, then each
 * method's update pinned on a tiny problem with linear (constant-gradient) task losses, on every backend. The
 * host-solved ones run combine → backward → await finishBackward(), the way the Trainer does, so webgpu is covered.
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { mtl } from '../../src/index.js';
import { SeededRandom } from '../../src/data/random.js';
import { availableBackends } from '../conformance/backends.js';
import { expectClose, placementFor, values } from '../nn/placement.js';

const gramOf = (gs: number[][]): number[][] => gs.map((a) => gs.map((b) => a.reduce((s, v, i) => s + v * b[i], 0)));

describe('small host solvers (float64 arithmetic, backend-independent)', () => {
  it('solveLinear and symmetricEigen against 2×2 closed forms', () => {
    expectClose(
      mtl.solveLinear(
        [
          [2, 1],
          [1, 3],
        ],
        [3, 5],
      )!,
      [4 / 5, 7 / 5],
      1e-14,
    );
    expect(
      mtl.solveLinear(
        [
          [1, 2],
          [2, 4],
        ],
        [1, 2],
      ),
    ).toBeNull();
    // [[2, 1], [1, 2]]: eigenvalues 3 (1, 1)/√2 and 1 (1, −1)/√2.
    const { values: ev, vectors } = mtl.symmetricEigen([
      [2, 1],
      [1, 2],
    ]);
    expectClose(ev, [3, 1], 1e-14);
    expectClose([Math.abs(vectors[0][0]), Math.abs(vectors[1][0])], [Math.SQRT1_2, Math.SQRT1_2], 1e-14);
    expect(vectors[0][1] * vectors[1][1]).toBeCloseTo(-0.5, 14);
    expectClose(mtl.projectToSimplex([0.5, 0.5, 1]), [1 / 6, 1 / 6, 2 / 3], 1e-14);
    expectClose(mtl.projectToSimplex([1, 0.6]), [0.7, 0.3], 1e-14);
  });

  it('CAGrad dual: the K = 2 closed form, interior and at a vertex', () => {
    // With w = (t, 1 − t): F(t) = t·b1 + (1 − t)·b2 + s·√q(t), b = M1/2, s = c‖g0‖, q(t) = At² + Bt + C.
    // F'(t) = δ + s(2At + B)/(2√q) = 0 (δ = b1 − b2) squares to a quadratic in t; keep the root where 2At + B has
    // the sign of −δ; with none in [0, 1] the minimum is at the vertex F decreases towards.
    const closedForm = (M: number[][], c: number): number => {
      const [A, B, C] = [M[0][0] - 2 * M[0][1] + M[1][1], 2 * M[0][1] - 2 * M[1][1], M[1][1]];
      const delta = (M[0][0] + M[0][1]) / 2 - (M[1][0] + M[1][1]) / 2;
      const s2 = (c * c * (M[0][0] + 2 * M[0][1] + M[1][1])) / 4;
      const [qa, qb, qc] = [
        4 * s2 * A * A - 4 * delta * delta * A,
        4 * s2 * A * B - 4 * delta * delta * B,
        s2 * B * B - 4 * delta * delta * C,
      ];
      const disc = qb * qb - 4 * qa * qc;
      const roots = disc < 0 ? [] : [(-qb - Math.sqrt(disc)) / (2 * qa), (-qb + Math.sqrt(disc)) / (2 * qa)];
      const t = roots.find((r) => r >= 0 && r <= 1 && Math.sign(2 * A * r + B) === -Math.sign(delta));
      if (t !== undefined) return t;
      const dF0 = delta + (Math.sqrt(s2) * B) / (2 * Math.sqrt(C));
      return dF0 > 0 ? 0 : 1;
    };
    const interior = [
      [1, 0],
      [0, 1.44],
    ]; // g1 = (1, 0), g2 = (0, 1.2)
    const t = closedForm(interior, 0.9);
    expect(t).toBeGreaterThan(0.05);
    expect(t).toBeLessThan(0.95);
    expectClose(mtl.cagradDual(interior, 0.9), [t, 1 - t], 1e-7);
    const vertex = [
      [4, 0],
      [0, 1],
    ]; // g1 = (2, 0), g2 = (0, 1): F'(0) = 3/2 − c√(5/4) > 0 for every c < 1
    expect(closedForm(vertex, 0.5)).toBe(0);
    expectClose(mtl.cagradDual(vertex, 0.5), [0, 1], 1e-9);
  });

  it('Nash bargaining: α_k = 1/‖g_k‖ for orthogonal gradients, 1/√(1 + ρ) for two unit gradients at cosine ρ', () => {
    expectClose(
      mtl.nashBargaining([
        [9, 0, 0],
        [0, 16, 0],
        [0, 0, 0.25],
      ]),
      [1 / 3, 1 / 4, 2],
      1e-6,
    );
    for (const rho of [0.6, -0.3])
      expectClose(
        mtl.nashBargaining([
          [1, rho],
          [rho, 1],
        ]),
        [1, 1].map(() => 1 / Math.sqrt(1 + rho)),
        1e-6,
      );
    const M = gramOf([
      [1, 0.2, 0],
      [-0.5, 1, 0.3],
      [0.1, -0.4, 2],
    ]);
    const a = mtl.nashBargaining(M);
    M.forEach((row, k) => expect(row.reduce((s, v, j) => s + v * a[j], 0) * a[k]).toBeCloseTo(1, 6));
  });

  it('IMTL-G: orthogonal (3,0), (0,4) give α = (4/7, 3/7); three tasks give equal projections on every unit gradient', () => {
    expectClose(
      mtl.imtlGradientWeights([
        [9, 0],
        [0, 16],
      ])!,
      [4 / 7, 3 / 7],
      1e-14,
    );
    const gs = [
      [1, 0.2, 0],
      [-0.5, 1, 0.3],
      [0.1, -0.4, 2],
    ];
    const a = mtl.imtlGradientWeights(gramOf(gs))!;
    const g = [0, 1, 2].map((i) => gs.reduce((s, gk, k) => s + a[k] * gk[i], 0));
    const proj = gs.map((gk) => gk.reduce((s, v, i) => s + v * g[i], 0) / Math.hypot(...gk));
    expectClose(proj, [proj[0], proj[0], proj[0]], 1e-12);
    expect(a.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
    expect(
      mtl.imtlGradientWeights([
        [1, 1],
        [1, 1],
      ]),
    ).toBeNull();
  });

  it('Aligned-MTL: orthogonal (3,0), (0,4) are rescaled to σ_min = 3 each; in general B·G has orthogonal rows of norm σ_min', () => {
    expectClose(
      mtl.alignedCoefficients(
        [
          [9, 0],
          [0, 16],
        ],
        [1, 1],
      ),
      [1, 3 / 4],
      1e-12,
    );
    const gs = [
      [1, 0.2, 0],
      [-0.5, 1, 0.3],
      [0.1, -0.4, 2],
    ];
    const M = gramOf(gs);
    const B = [0, 1, 2].map((k) =>
      mtl.alignedCoefficients(
        M,
        [0, 1, 2].map((j) => (j === k ? 1 : 0)),
      ),
    ); // B e_k = column k
    const BG = [0, 1, 2].map((r) => [0, 1, 2].map((i) => [0, 1, 2].reduce((s, k) => s + B[k][r] * gs[k][i], 0)));
    const sigmaMin2 = mtl.symmetricEigen(M).values[2];
    gramOf(BG).forEach((row, i) =>
      expectClose(
        row,
        row.map((_, j) => (i === j ? sigmaMin2 : 0)),
        1e-10,
      ),
    );
  });
});

describe.each(availableBackends)('gradient methods on %s', (backend) => {
  const { dtype, tol } = placementFor(backend);
  const place = { backend, dtype } as const;
  const leaf = (vals: number[]): mt.Tensor => mt.keep(mt.tensor(vals, { ...place, requiresGrad: true }));
  const vec = (vals: number[]): mt.Tensor => mt.tensor(vals, place);
  const linear = (theta: mt.Tensor, a: number[]): mt.Tensor => mt.sum(mt.mul(theta, vec(a)));

  /** One step of `w` on L_a = ⟨a, θ⟩, L_b = ⟨b, θ⟩ at θ; returns θ's gradient and the combined value. */
  async function step(
    w: mtl.LossWeighting,
    a: number[],
    b: number[],
    theta0 = a.map(() => 1),
  ): Promise<{ grad: number[]; total: number }> {
    const theta = leaf(theta0);
    try {
      const total = mt.tidy(() => {
        const t = w.combine({ a: linear(theta, a), b: linear(theta, b) }, { sharedParams: [theta] });
        t.backward();
        return t;
      });
      await w.finishBackward?.();
      const value = (await total.data())[0];
      total.dispose();
      return { grad: await values(theta.grad!), total: value };
    } finally {
      theta.dispose();
    }
  }

  it('CAGrad: d = g0 + (c‖g0‖/‖g_w‖)·g_w, here at the vertex w = (0, 1), without and with the 1/(1 + c²) rescale', async () => {
    const g0 = [1, 0.5],
      s = 0.5 * Math.sqrt(1.25);
    const plain = new mtl.CAGrad(['a', 'b'], { c: 0.5, rescale: 0 });
    expectClose((await step(plain, [2, 0], [0, 1])).grad, [g0[0], g0[1] + s], tol);
    expectClose(plain.lastDualWeights!, [0, 1], 1e-6);
    const scaled = mtl.createWeighting({ kind: 'cagrad', tasks: ['a', 'b'], c: 0.5 });
    expectClose((await step(scaled, [2, 0], [0, 1])).grad, [g0[0] / 1.25, (g0[1] + s) / 1.25], tol);
  });

  it('Nash-MTL: orthogonal (3,0), (0,4) → α = (1/3, 1/4), update (1, 1); task-specific parameters keep their own gradient', async () => {
    const n = mtl.createWeighting({ kind: 'nashmtl', tasks: ['a', 'b'] });
    const { grad, total } = await step(n, [3, 0], [0, 4]);
    expectClose(grad, [1, 1], 1e-5);
    expect(total).toBeCloseTo(7, 4);
    // A head that only task b reaches: Σ_k ∇L_k there, untouched by α.
    const theta = leaf([1, 1]),
      head = leaf([2]);
    mt.tidy(() =>
      n
        .combine(
          { a: linear(theta, [3, 0]), b: mt.mul(linear(theta, [0, 4]), head.reshape([])) },
          { sharedParams: [theta] },
        )
        .backward(),
    );
    await n.finishBackward!();
    expectClose(await values(head.grad!), [4], tol);
    mt.dispose([theta, head]);
  });

  it('IMTL: IMTL-G weights (4/7, 3/7) give equal projections 12/7; IMTL-L scales e^s·L − s (gradient e^s·L − 1 on s)', async () => {
    const g = mtl.createWeighting({ kind: 'imtl', tasks: ['a', 'b'], variant: 'gradient' });
    expectClose((await step(g, [3, 0], [0, 4])).grad, [12 / 7, 12 / 7], 1e-5);
    const hybrid = new mtl.IMTL(['a', 'b'], 'hybrid', place);
    const r = await step(hybrid, [3, 0], [0, 4], [1, 0.5]); // L = (3, 2), s = 0
    expectClose(r.grad, [12 / 7, 12 / 7], 1e-5);
    expectClose([r.total], [5], tol);
    expectClose(
      await Promise.all(hybrid.parameters().map(async (p) => (await p.grad!.data())[0])),
      [3 - 1, 2 - 1],
      tol,
    );
    const lossOnly = new mtl.IMTL(['a', 'b'], 'loss', place);
    expectClose((await step(lossOnly, [3, 0], [0, 4])).grad, [3, 4], tol);
    [hybrid, lossOnly].forEach((w) => w.dispose());
  });

  it('Aligned-MTL: orthogonal (3,0), (0,4) aligned to equal norms σ_min = 3: update (3, 3)', async () => {
    expectClose(
      (await step(mtl.createWeighting({ kind: 'alignedmtl', tasks: ['a', 'b'] }), [3, 0], [0, 4])).grad,
      [3, 3],
      1e-5,
    );
  });

  it('GradVac: with target 0 it is PCGrad (0.5, 1.5); then the EMA target moves and the next correction follows the formula', async () => {
    const beta = 0.5;
    const gv = new mtl.GradVac(['a', 'b'], { beta, seed: 4 });
    expectClose((await step(gv, [1, 0], [-1, 1])).grad, [0.5, 1.5], 1e-5);
    const phi = -Math.SQRT1_2,
      target = beta * phi;
    expectClose([gv.targets[0][1], gv.targets[1][0]], [target, target], 1e-6);
    // Second step, same gradients: g_a += ‖g_a‖(φ̂√(1−φ²) − φ√(1−φ̂²))/(‖g_b‖√(1−φ̂²))·g_b, and g_b likewise.
    const k = (ni: number, nj: number): number =>
      (ni * (target * Math.sqrt(1 - phi * phi) - phi * Math.sqrt(1 - target * target))) /
      (nj * Math.sqrt(1 - target * target));
    const wa = k(1, Math.SQRT2),
      wb = k(Math.SQRT2, 1);
    expectClose((await step(gv, [1, 0], [-1, 1])).grad, [1 - wa + -1 + wb, wa + 1], 1e-5);
  });

  it('RLW: λ = softmax(z), z ~ N(0, I) from the seeded generator; a fresh draw each step', async () => {
    const rlw = mtl.createWeighting({ kind: 'rlw', tasks: ['a', 'b'], seed: 11 });
    const rng = new SeededRandom(11);
    for (let i = 0; i < 2; i++) {
      const z = [rng.normal(), rng.normal()];
      const lam = [Math.exp(z[0]), Math.exp(z[1])].map((e, _, arr) => e / (arr[0] + arr[1]));
      const { grad, total } = await step(rlw, [3, 0], [0, 4]);
      expectClose(grad, [3 * lam[0], 4 * lam[1]], tol);
      expectClose([total], [3 * lam[0] + 4 * lam[1]], tol);
    }
  });

  it('DB-MTL: log losses, EMA gradients (β = 0.9) rescaled to the largest norm: (0.3, 0.3) then (0.57, 0.57)', async () => {
    const db = mtl.createWeighting({ kind: 'dbmtl', tasks: ['a', 'b'] });
    const run = async (): Promise<number[]> => {
      const theta = leaf([0, 0]);
      // L_a = exp(⟨(3,0), θ⟩), L_b = exp(⟨(0,1), θ⟩): ∇ log L = (3, 0) and (0, 1) (up to the ε = 1e-8 in the log).
      mt.tidy(() =>
        db
          .combine({ a: mt.exp(linear(theta, [3, 0])), b: mt.exp(linear(theta, [0, 1])) }, { sharedParams: [theta] })
          .backward(),
      );
      const g = await values(theta.grad!);
      theta.dispose();
      return g;
    };
    expectClose(await run(), [0.3, 0.3], 1e-6);
    expectClose(await run(), [0.57, 0.57], 1e-6);
    db.dispose();
  });

  it('FAMO: gradient c⁻¹Σ z_k ∇L_k/L_k; after the losses move, ξ takes one Adam step along z ⊙ (δ − ⟨z, δ⟩)', async () => {
    const famo = new mtl.FAMO(['a', 'b'], place);
    // L = (2, 4) at θ = (1, 1); z = (½, ½), c = ½/2 + ½/4 = 3/8.
    const r = await step(famo, [2, 0], [0, 4]);
    const D = [2 + 1e-8, 4 + 1e-8],
      c = 0.5 / D[0] + 0.5 / D[1];
    expectClose(r.grad, [(0.5 * 2) / D[0] / c, (0.5 * 4) / D[1] / c], tol);
    expectClose([r.total], [(0.5 * Math.log(D[0]) + 0.5 * Math.log(D[1])) / c], tol);
    // The losses after the step: (1, 4). δ = (log 2, 0), d = (¼ log 2, −¼ log 2); Adam's first step is lr·sign(d).
    mt.tidy(() => famo.update(vec([1, 4])));
    const z = await values(mt.tidy(() => famo.weights()));
    const e = [Math.exp(-0.025), Math.exp(0.025)];
    expectClose(z, [e[0] / (e[0] + e[1]), e[1] / (e[0] + e[1])], 1e-6);
    expect(() => famo.update(vec([1, 4]))).toThrow(/FAMO\.update: no combine\(\) since the last update/);
    famo.dispose();
  });

  it('GradDrop: where signs agree both gradients pass; where they conflict one sign survives, with probability P', async () => {
    const gd = mtl.createWeighting({ kind: 'graddrop', tasks: ['a', 'b'] });
    mt.manualSeed(5);
    const n = 400;
    const a = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 3 : i % 4 === 1 ? 2 : i % 4 === 2 ? -1 : 3));
    const b = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? -1 : i % 4 === 1 ? 1 : i % 4 === 2 ? -2 : 0));
    const { grad } = await step(gd, a, b);
    let kept3 = 0;
    grad.forEach((g, i) => {
      if (i % 4 === 1) expect(g).toBeCloseTo(3, 5);
      else if (i % 4 === 2) expect(g).toBeCloseTo(-3, 5);
      else if (i % 4 === 3)
        expect(g).toBeCloseTo(3, 5); // a zero gradient has no sign to keep
      else {
        expect([3, -1]).toContain(Math.round(g));
        if (Math.round(g) === 3) kept3++;
      }
    });
    // P = ½(1 + 2/4) = 0.75 at the conflicting elements: ~75 of 100 keep the positive gradient.
    expect(kept3).toBeGreaterThan(55);
    expect(kept3).toBeLessThan(92);
    // On a representation (the paper's GradDrop layer): one mask per unit from Σ_batch sign(Z)·∇_k, shared by the
    // batch, and the kept gradient flows on into θ. Z = x ⊙ θ with x > 0: unit 0 agrees (both kept: ∂/∂Z = 1 + 2),
    // unit 1 conflicts (stats 2 and −6: P = 0.25, keeps either task a's +1 or task b's −3 for every row).
    const theta = leaf([1, 1]);
    const x = vec([1, 2, 3, 4]).reshape([2, 2]);
    mt.tidy(() => {
      const z = mt.mul(x, theta);
      const la = mt.sum(z),
        lb = mt.sum(mt.mul(z, vec([2, -3])));
      gd.combine({ a: la, b: lb }, { sharedRepresentation: z, sharedParams: [theta] }).backward();
    });
    const [t0, t1] = await values(theta.grad!);
    expect(t0).toBeCloseTo((1 + 3) * 3, 5);
    expect([6, -18]).toContain(Math.round(t1));
    theta.dispose();
    x.dispose();
    // With leak 1 nothing is dropped.
    expectClose((await step(new mtl.GradDrop(['a', 'b'], { leak: 1 }), [3, 2], [-1, 1])).grad, [2, 3], tol);
  });

  it('a long run does not grow memory: host-solved (CAGrad), device-state (FAMO, DB-MTL) and GradDrop strategies', async () => {
    for (const kind of ['cagrad', 'famo', 'dbmtl', 'graddrop'] as const) {
      const w =
        kind === 'famo'
          ? mtl.createWeighting({ kind, tasks: ['a', 'b'], placement: place })
          : mtl.createWeighting({ kind, tasks: ['a', 'b'] });
      await step(w, [1, 2], [-1, 1]);
      const before = mt.memory().tensors;
      for (let i = 0; i < 5; i++) await step(w, [1, 2], [-1, 1]);
      expect(mt.memory().tensors, kind).toBe(before);
      w.dispose();
    }
  });
});
