/**
 * Diagnostics over a training run, computed from its history (nothing re-run): per-task gradient norms on the
 * shared parameters and their max/min ratio, pairwise gradient cosines summarised, the weights the loss-weighting
 * strategy assigned at each probe step, and expert utilisation with collapse flagged in plain words.
 *
 * Expert utilisation reads the mean gate weight per expert on the validation split after the last epoch. A gate
 * "uses" an expert that gets at least half the uniform share (≥ 1/(2E)); an expert is idle when no gate uses it.
 * A warning is raised when any expert is idle or when a gate puts its weight on at most a quarter of its experts.
 */
import type { TrainingHistory } from './events.js';

export interface GateUtilisation {
  gate: string;
  experts: number;
  /** Indices of the experts this gate uses (≥ half the uniform share). */
  used: number[];
  /** The share of this gate's weight that its used experts get. */
  usedShare: number;
}

export interface ExpertUtilisation {
  epoch: number;
  gates: GateUtilisation[];
  /** Experts no gate uses (only when every gate mixes the same experts, as in MMoE). */
  idle: number[] | null;
}

export interface TrainingDiagnostics {
  tasks: string[];
  /** Per probe step: ‖∇L_k‖ on the shared parameters and max/min over tasks. */
  gradientNorms: { step: number; norms: number[]; ratio: number }[];
  /** Per task pair: mean cosine over the probes and the fraction of probes where it was negative (conflict). */
  cosines: { pair: [string, string]; mean: number; negativeFraction: number; last: number }[];
  /** Per probe step: the strategy's weights (or gradient coefficients), in task order. */
  weights: { step: number; weights: number[] }[];
  experts: ExpertUtilisation | null;
  warnings: string[];
}

export function expertUtilisation(
  gates: Readonly<Record<string, readonly number[]>>,
  epoch: number,
): ExpertUtilisation {
  const rows: GateUtilisation[] = Object.entries(gates).map(([gate, w]) => {
    const E = w.length;
    const total = w.reduce((a, b) => a + b, 0) || 1;
    const used = w
      .map((v, e) => [v / total, e] as const)
      .filter(([v]) => v >= 1 / (2 * E))
      .map(([, e]) => e);
    return { gate, experts: E, used, usedShare: used.reduce((s, e) => s + w[e] / total, 0) };
  });
  const sizes = new Set(rows.map((r) => r.experts));
  const idle =
    sizes.size === 1 && rows.length > 0
      ? Array.from({ length: rows[0].experts }, (_, e) => e).filter((e) => rows.every((r) => !r.used.includes(e)))
      : null;
  return { epoch, gates: rows, idle };
}

function pct(v: number): string {
  return `${(100 * v).toFixed(0)}%`;
}

export function collapseWarnings(u: ExpertUtilisation): string[] {
  const out: string[] = [];
  if (u.idle && u.idle.length > 0) {
    const E = u.gates[0].experts;
    out.push(
      `expert utilisation (epoch ${u.epoch + 1}): ${u.idle.length} of ${E} experts are idle — ${u.idle.map((e) => `e${e}`).join(', ')} get less than ${pct(1 / (2 * E))} of the weight in every gate`,
    );
  }
  for (const g of u.gates) {
    if (g.experts >= 4 && g.used.length <= g.experts / 4) {
      out.push(
        `expert utilisation (epoch ${u.epoch + 1}): gate '${g.gate}' puts ${pct(g.usedShare)} of its weight on ${g.used.length} of ${g.experts} experts (${g.used.map((e) => `e${e}`).join(', ')}): the mixture has collapsed`,
      );
    }
  }
  return out;
}

export function trainingDiagnostics(history: TrainingHistory): TrainingDiagnostics {
  const tasks = history.tasks;
  const probes = history.gradientCosines;
  const gradientNorms = probes
    .filter((p) => p.norms)
    .map((p) => {
      const n = p.norms!;
      const lo = Math.min(...n),
        hi = Math.max(...n);
      return { step: p.step, norms: n, ratio: lo > 0 ? hi / lo : Infinity };
    });
  const cosines: TrainingDiagnostics['cosines'] = [];
  for (let i = 0; i < tasks.length; i++) {
    for (let j = i + 1; j < tasks.length; j++) {
      const vals = probes
        .map((p) => p.cosines[i]?.[j])
        .filter((v): v is number => v !== undefined && Number.isFinite(v));
      if (vals.length === 0) continue;
      cosines.push({
        pair: [tasks[i], tasks[j]],
        mean: vals.reduce((a, b) => a + b, 0) / vals.length,
        negativeFraction: vals.filter((v) => v < 0).length / vals.length,
        last: vals[vals.length - 1],
      });
    }
  }
  const weights = probes.filter((p) => p.weights).map((p) => ({ step: p.step, weights: p.weights! }));
  const withGates = history.epochs.filter((e) => e.gates && Object.keys(e.gates).length > 0);
  const last = withGates.at(-1);
  const experts = last ? expertUtilisation(last.gates!, last.epoch) : null;
  const warnings = experts ? collapseWarnings(experts) : [];
  const lastNorms = gradientNorms.at(-1);
  if (lastNorms && lastNorms.ratio >= 10) {
    const hi = lastNorms.norms.indexOf(Math.max(...lastNorms.norms)),
      lo = lastNorms.norms.indexOf(Math.min(...lastNorms.norms));
    warnings.push(
      `gradient magnitudes (step ${lastNorms.step}): task '${tasks[hi]}' has ${lastNorms.ratio.toFixed(0)}× the gradient norm of '${tasks[lo]}' on the shared parameters — it dominates their update`,
    );
  }
  return { tasks: [...tasks], gradientNorms, cosines, weights, experts, warnings };
}
