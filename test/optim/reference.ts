/**
 * Independent re-statements of torch.optim's update rules (from the PyTorch docs' pseudo-code), on plain arrays of
 * doubles, for trajectory tests. Written without looking at the kernels' code paths.
 */
export interface SgdRef {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}
export function sgdRef(h: SgdRef): (p: number[], g: number[]) => void {
  let buf: number[] | null = null;
  const mom = h.momentum ?? 0,
    damp = h.dampening ?? 0,
    wd = h.weightDecay ?? 0;
  return (p, g) => {
    const d = g.map((gi, i) => gi + wd * p[i]);
    let dir = d;
    if (mom !== 0) {
      buf = buf ? buf.map((b, i) => mom * b + (1 - damp) * d[i]) : [...d];
      dir = h.nesterov ? d.map((di, i) => di + mom * buf![i]) : buf;
    }
    for (let i = 0; i < p.length; i++) p[i] -= h.lr * dir[i];
  };
}

export interface AdamRef {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  decoupled?: boolean;
  amsgrad?: boolean;
}
export function adamRef(h: AdamRef): (p: number[], g: number[]) => void {
  const b1 = h.beta1 ?? 0.9,
    b2 = h.beta2 ?? 0.999,
    eps = h.eps ?? 1e-8,
    wd = h.weightDecay ?? 0;
  let m: number[] | null = null,
    v: number[] | null = null,
    vmax: number[] | null = null,
    t = 0;
  return (p, g0) => {
    t++;
    m ??= p.map(() => 0);
    v ??= p.map(() => 0);
    vmax ??= p.map(() => 0);
    const g = [...g0];
    for (let i = 0; i < p.length; i++) {
      if (h.decoupled) p[i] *= 1 - h.lr * wd;
      else g[i] += wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      vmax[i] = Math.max(vmax[i], v[i]);
      const vh = h.amsgrad ? vmax[i] : v[i];
      const denom = Math.sqrt(vh) / Math.sqrt(1 - b2 ** t) + eps;
      p[i] -= (h.lr / (1 - b1 ** t)) * (m[i] / denom);
    }
  };
}

export interface AdagradRef {
  lr: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
}
export function adagradRef(h: AdagradRef): (p: number[], g: number[]) => void {
  let sum: number[] | null = null,
    t = 0;
  const eps = h.eps ?? 1e-10,
    wd = h.weightDecay ?? 0;
  return (p, g0) => {
    t++;
    sum ??= p.map(() => h.initialAccumulatorValue ?? 0);
    const clr = h.lr / (1 + (t - 1) * (h.lrDecay ?? 0));
    for (let i = 0; i < p.length; i++) {
      const g = g0[i] + wd * p[i];
      sum[i] += g * g;
      p[i] -= clr * (g / (Math.sqrt(sum[i]) + eps));
    }
  };
}

/** The test problem's gradient at p: g_i = c_i·p_i + b_i (a separable quadratic with mixed signs). */
export function quadraticGrad(p: readonly number[]): number[] {
  return p.map((x, i) => (0.5 + (i % 3)) * x + (i % 2 === 0 ? 0.3 : -0.7) + 0.01 * i);
}
