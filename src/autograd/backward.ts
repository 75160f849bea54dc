/**
 * Reverse-mode differentiation over the tape: backward() accumulates into the .grad of leaves; grad() returns
 * gradients for chosen tensors without touching .grad (per-task gradients on shared parameters).
 */
import { Tensor, type GradNode } from '../tensor/tensor.js';
import { engine } from '../tensor/engine.js';
import { fmt, shapesEqual } from '../tensor/shape.js';
import { sumToInputShape } from './unbroadcast.js';

export interface BackwardOptions {
  /** Gradients of the outputs (required for non-scalar outputs). */
  gradOutputs?: Tensor | readonly Tensor[];
  /** Keep the graph so that it can be differentiated again (e.g. one grad() call per task loss). */
  retainGraph?: boolean;
}

export interface GradOptions extends BackwardOptions {
  /** Return zeros for inputs the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

/** A tensor we own: a fresh view on g's storage, so that disposing ours never disposes the caller's. */
function alias(g: Tensor): Tensor {
  return new Tensor(g.storage, g.shape, g.dtype);
}

function addInto(a: Tensor, b: Tensor): Tensor {
  const be = engine.backendOf(a.storage);
  const s = be.binary('add', a.storage, b.storage, a.shape, b.shape, a.shape);
  a.dispose();
  b.dispose();
  return new Tensor(s, a.shape, a.dtype);
}

/** Post-order of the tensors that require grad and are reachable from roots (iterative: deep graphs are fine). */
function topoOrder(roots: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [];
  for (const r of roots) {
    if (visited.has(r)) continue;
    visited.add(r);
    stack.push([r, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [t, i] = top;
      const inputs = t.node?.inputs ?? [];
      if (i < inputs.length) {
        top[1]++;
        const inp = inputs[i];
        if (inp.requiresGrad && !visited.has(inp)) {
          visited.add(inp);
          stack.push([inp, 0]);
        }
      } else {
        stack.pop();
        order.push(t);
      }
    }
  }
  return order;
}

function seedGrads(op: string, roots: readonly Tensor[], opts: BackwardOptions): Tensor[] {
  const given =
    opts.gradOutputs === undefined
      ? undefined
      : opts.gradOutputs instanceof Tensor
        ? [opts.gradOutputs]
        : [...opts.gradOutputs];
  if (given && given.length !== roots.length) {
    throw new Error(`${op}: got ${given.length} gradOutputs for ${roots.length} outputs`);
  }
  return roots.map((r, i) => {
    r.assertLive(op);
    if (!r.requiresGrad)
      throw new Error(
        `${op}: output ${i} ${fmt(r.shape)} does not require grad (no input that requires grad reaches it, or it was made under noGrad/stopGradient)`,
      );
    const g = given?.[i];
    if (g) {
      g.assertLive(op);
      if (!shapesEqual(g.shape, r.shape) || g.dtype !== r.dtype) {
        throw new Error(
          `${op}: gradOutputs[${i}] has shape ${fmt(g.shape)} ${g.dtype}, expected ${fmt(r.shape)} ${r.dtype} like the output`,
        );
      }
      return alias(g);
    }
    if (r.size !== 1)
      throw new Error(`${op}: output ${i} has shape ${fmt(r.shape)}; a non-scalar output needs gradOutputs`);
    return new Tensor(engine.backendOf(r.storage).fill(1, 1, r.dtype), r.shape, r.dtype);
  });
}

interface Sink {
  /** Tensors whose gradient is wanted (grad mode), else null (backward mode: leaves' .grad). */
  wanted: Set<Tensor> | null;
  results: Map<Tensor, Tensor>;
}

function run(op: string, roots: readonly Tensor[], opts: BackwardOptions, sink: Sink): void {
  const seeds = seedGrads(op, roots, opts);
  // Nodes consumed by this pass release what they saved when the pass ends, not while the walk still reads them.
  engine.beginBackward();
  try {
    walk(op, roots, seeds, opts, sink);
  } finally {
    engine.endBackward();
  }
}

function walk(op: string, roots: readonly Tensor[], seeds: Tensor[], opts: BackwardOptions, sink: Sink): void {
  const order = topoOrder(roots);
  // In grad mode, only walk nodes from which a wanted tensor can be reached.
  let needed: Set<Tensor> | null = null;
  if (sink.wanted) {
    needed = new Set();
    for (const t of order) {
      if (sink.wanted.has(t) || (t.node?.inputs.some((i) => needed!.has(i)) ?? false)) needed.add(t);
    }
  }
  const grads = new Map<Tensor, Tensor>();
  roots.forEach((r, i) => {
    const prev = grads.get(r);
    grads.set(r, prev ? addInto(prev, seeds[i]) : seeds[i]);
  });
  // A multi-output node runs once, when the last of its outputs in the walk has been visited: every output comes
  // before every input of the node in this order, so all its gradients are known by then.
  const groups = new Map<GradNode, { left: number; grads: (Tensor | null)[] }>();
  for (const t of order) {
    const node = t.node;
    if (!node || node.outputs.length === 1) continue;
    const group = groups.get(node) ?? { left: 0, grads: node.outputs.map(() => null) };
    group.left++;
    groups.set(node, group);
  }

  for (let idx = order.length - 1; idx >= 0; idx--) {
    const t = order[idx];
    const group = t.node && t.node.outputs.length > 1 ? groups.get(t.node)! : null;
    let g = grads.get(t);
    if (g) {
      grads.delete(t);
      g = applyHooks(t, g);
      if (sink.wanted?.has(t)) sink.results.set(t, alias(g));
      if (!sink.wanted && t.isLeaf) {
        if (t.grad) {
          const sum = addInto(alias(t.grad), g);
          t.grad.dispose();
          t.grad = sum;
        } else t.grad = g;
        engine.keep(t.grad);
        continue;
      }
    }
    let outGrads: (Tensor | null)[];
    if (group) {
      if (g) group.grads[t.node!.outputs.indexOf(t)] = g;
      if (--group.left > 0) continue;
      outGrads = group.grads;
      if (outGrads.every((x) => x === null)) continue;
    } else if (g) outGrads = [g];
    else continue;
    const node = t.node;
    const disposeAll = () => {
      for (const x of outGrads) x?.dispose();
    };
    if (!node || (needed && !node.inputs.some((i) => needed!.has(i)))) {
      disposeAll();
      continue;
    }
    if (!node.backward) {
      disposeAll();
      throw new Error(
        `${op}: the graph through '${node.op}' was already freed by an earlier backward/grad; pass { retainGraph: true } to the earlier call`,
      );
    }
    node.inputs.forEach((inp, i) => {
      if (inp.version !== node.inputVersions[i]) {
        throw new Error(
          `${op}: input ${i} of '${node.op}' ${fmt(inp.shape)} was modified in place (version ${inp.version}, saved at ${node.inputVersions[i]}) after it was used; call backward before updating it`,
        );
      }
      inp.assertLive(`${op} through '${node.op}'`);
    });
    const inGrads = callNodeBackward(node.op, node.backward, outGrads, node.inputs);
    disposeAll();
    if (!opts.retainGraph) {
      node.backward = null;
      if (node.grip) engine.releaseConsumed(node.grip);
    }
    node.inputs.forEach((inp, i) => {
      const gi = inGrads[i];
      if (!gi) return;
      if (!inp.requiresGrad || (needed && !needed.has(inp))) {
        gi.dispose();
        return;
      }
      const prev = grads.get(inp);
      grads.set(inp, prev ? addInto(prev, gi) : gi);
    });
  }
  for (const g of grads.values()) g.dispose();
}

/**
 * Runs a node's gradient in its own scope; every returned gradient, summed to its input's shape where the op gave
 * it at the broadcast shape, becomes a tensor owned by the tape.
 */
function callNodeBackward(
  op: string,
  fn: NonNullable<GradNode['backward']>,
  gs: readonly (Tensor | null)[],
  inputs: readonly Tensor[],
): (Tensor | null)[] {
  const depth = engine.startScope();
  const owned = engine.newMark();
  let out: (Tensor | null)[] = [];
  const prev = engine.gradEnabled;
  engine.gradEnabled = false;
  try {
    out = fn(gs);
    if (out.length !== inputs.length)
      throw new Error(`internal: gradient of '${op}' returned ${out.length} values for ${inputs.length} inputs`);
    out = out.map((given, i) => {
      if (!given || !inputs[i].requiresGrad) return null;
      const r = sumToInputShape(op, i, given, inputs[i].shape);
      const mine = r.mark === owned || gs.includes(r) || !engine.inCurrentScope(r) ? alias(r) : r;
      mine.mark = owned;
      return mine;
    });
  } catch (e) {
    engine.gradEnabled = prev;
    engine.endScope(depth);
    throw e;
  }
  engine.gradEnabled = prev;
  engine.endScope(depth, owned);
  return out;
}

function applyHooks(t: Tensor, g: Tensor): Tensor {
  if (!t.hasHooks) return g;
  const depth = engine.startScope();
  const prev = engine.gradEnabled;
  engine.gradEnabled = false;
  let r = g;
  const survivor = engine.newMark();
  try {
    r = t.runHooks(g);
    if (r !== g) {
      r = engine.inCurrentScope(r) ? r : alias(r);
      r.mark = survivor;
    }
  } catch (e) {
    engine.gradEnabled = prev;
    engine.endScope(depth);
    throw e;
  }
  engine.gradEnabled = prev;
  engine.endScope(depth, survivor);
  if (r !== g) g.dispose();
  return r;
}

/** Accumulates d(output)/d(leaf) into leaf.grad for every leaf that requires grad. */
export function backward(output: Tensor, opts: BackwardOptions = {}): void {
  run('backward', [output], opts, { wanted: null, results: new Map() });
}

/**
 * Gradients of outputs (summed, each weighted by its gradOutputs) with respect to inputs, returned without touching
 * any .grad. Inputs may be leaves or intermediate tensors.
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: readonly Tensor[], opts: GradOptions = {}): Tensor[] {
  const roots = outputs instanceof Tensor ? [outputs] : [...outputs];
  inputs.forEach((t, i) => {
    t.assertLive('grad');
    if (!t.requiresGrad) throw new Error(`grad: input ${i} ${fmt(t.shape)} does not require grad`);
  });
  const sink: Sink = { wanted: new Set(inputs), results: new Map() };
  run('grad', roots, opts, sink);
  return inputs.map((t, i) => {
    const r = sink.results.get(t);
    if (r) return r;
    if (!opts.allowUnused) {
      throw new Error(
        `grad: input ${i} ${fmt(t.shape)} is not used to compute the outputs; pass { allowUnused: true } to get zeros`,
      );
    }
    return new Tensor(engine.backendOf(t.storage).fill(t.size, 0, t.dtype), t.shape, t.dtype);
  });
}
