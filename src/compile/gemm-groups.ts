/**
 * Groups of consecutive products that read the same row-major A, for the one-call native plan: an MMoE's expert
 * layer and its gates all multiply the input x, and as one group (plan.cpp P_SGEMM_GROUP) each block of x's rows is
 * read once for all of them, in one dispatch over the thread pool. Each member is still computed by the kernel that
 * serves it alone, so the results are bit-identical to separate products (and to eager). A member must not read
 * another member's result (they run together); the C++ side runs a group one product after another where the
 * members are not all batch-1 skinny products of one A.
 */
import type { Instruction } from './plan.js';
import { isRef, type Ref } from './trace.js';

interface MatmulParams {
  batch: number;
  m: number;
  k: number;
  transA: boolean;
  bias?: unknown;
}

function params(ins: Instruction): MatmulParams | null {
  if (ins.method !== 'matmul') return null;
  const p = ins.traced.args[2] as MatmulParams | undefined;
  return p && p.batch === 1 && !p.transA ? p : null;
}

function sameRef(a: unknown, b: unknown): boolean {
  if (!isRef(a) || !isRef(b) || a.ref !== b.ref) return false;
  switch (a.ref) {
    case 'in':
      return a.index === (b as Extract<Ref, { ref: 'in' }>).index;
    case 'tmp':
      return a.id === (b as Extract<Ref, { ref: 'tmp' }>).id;
    case 'ext':
      return a.storage === (b as Extract<Ref, { ref: 'ext' }>).storage;
  }
}

/** Index of each grouped instruction → its group's first and last instruction (groups of two or more). */
export function gemmGroups(ins: readonly Instruction[]): Map<number, { first: number; last: number }> {
  const out = new Map<number, { first: number; last: number }>();
  for (let i = 0; i < ins.length; ) {
    const p0 = params(ins[i]!);
    let j = i + 1;
    if (p0) {
      const made = new Set<number>(ins[i]!.results);
      for (; j < ins.length; j++) {
        const p = params(ins[j]!);
        const args = ins[j]!.traced.args;
        if (!p || p.m !== p0.m || p.k !== p0.k || !sameRef(args[0], ins[i]!.traced.args[0])) break;
        const reads = [args[1], p.bias].some((r) => isRef(r) && r.ref === 'tmp' && made.has(r.id));
        if (reads) break;
        for (const id of ins[j]!.results) made.add(id);
      }
    }
    if (j - i >= 2) for (let q = i; q < j; q++) out.set(q, { first: i, last: j - 1 });
    i = j;
  }
  return out;
}
