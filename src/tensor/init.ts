/** Choosing and starting backends: init({ backend }) and moving tensors between backends. */
import type { Backend, BackendInfo } from '../backends/kernels.js';
import { platform } from '../platform/index.js';
import { engine } from './engine.js';
import { Tensor } from './tensor.js';

export type BackendName = 'auto' | 'js' | 'native' | 'webgpu';

/**
 * A WebGPU entry object: `navigator.gpu` in a browser, Dawn's `create()` result in Node. Typed by the one method
 * mtgrad calls on it, so the public types need no @webgpu/types (the optional `webgpu` package brings those).
 */
export interface GpuEntry {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<unknown>;
}

export interface BackendOptions {
  /** The WebGPU entry object for the webgpu backend; default: the platform's (Dawn in Node, navigator.gpu in a browser). */
  gpu?: GpuEntry;
}

/**
 * Each factory loads its backend lazily (the addon and Dawn through the platform layer, so a browser build has
 * neither) and throws an Error saying why when unavailable.
 */
const FACTORIES: Record<Exclude<BackendName, 'auto'>, (options: BackendOptions) => Promise<Backend>> = {
  js: async () => (await import('../backends/js/index.js')).createJsBackend(),
  native: () => platform.createNativeBackend(),
  // GpuEntry is the structural view of GPU that the public types expose; the backend uses the full WebGPU type.
  webgpu: async (options) => {
    const [gpu, plans, hooks] = await Promise.all([
      import('../backends/webgpu/index.js'),
      import('../compile/webgpu-plan.js'),
      import('../compile/plan-hooks.js'),
    ]);
    // mt.compile's prepared-command executor for this backend (kept out of compile's static imports: see
    // plan-hooks.ts).
    hooks.setPlanner('webgpu', { planFor: plans.webgpuPlanFor, lastRefusal: () => plans.lastWebGpuPlanRefusal });
    return gpu.createWebGpuBackend({ gpu: options.gpu as GPU | undefined });
  },
};

/** Starts (once) and returns the named backend without making it current. */
export async function loadBackend(name: Exclude<BackendName, 'auto'>, options: BackendOptions = {}): Promise<Backend> {
  const existing = engine.backends.get(name);
  if (existing) return existing;
  const factory = FACTORIES[name];
  if (!factory) throw new Error(`init: unknown backend '${name}' (expected auto, js, native or webgpu)`);
  return engine.register(await factory(options), false);
}

export interface InitResult {
  backend: string;
  info: BackendInfo;
  tried: Record<string, string>;
}

/**
 * Makes `backend` current for new tensors. 'auto' picks webgpu on a real GPU (not a software adapter), else native,
 * else js; `tried` says why each skipped one was skipped.
 */
export async function init(opts: { backend?: BackendName } & BackendOptions = {}): Promise<InitResult> {
  const want = opts.backend ?? 'auto';
  const tried: Record<string, string> = {};
  if (want !== 'auto') {
    const b = await loadBackend(want, opts);
    engine.setCurrent(b.name);
    return { backend: b.name, info: b.info(), tried };
  }
  for (const name of ['webgpu', 'native'] as const) {
    const skip = name === 'webgpu' && !opts.gpu && !engine.backends.has(name) ? platform.autoWebGpuSkipReason() : null;
    if (skip) {
      tried[name] = skip;
      continue;
    }
    try {
      const b = await loadBackend(name, opts);
      if (name === 'webgpu' && b.info().isSoftware) {
        tried[name] = `adapter '${b.info().description}' is a software renderer`;
        // Release Dawn's device now: a software adapter is never picked by 'auto' (init({backend:'webgpu'}) still can).
        (b as { destroy?: () => void }).destroy?.();
        engine.backends.delete(name);
        continue;
      }
      engine.setCurrent(b.name);
      return { backend: b.name, info: b.info(), tried };
    } catch (e) {
      tried[name] = (e as Error).message;
    }
  }
  const js = await loadBackend('js');
  engine.setCurrent('js');
  return { backend: 'js', info: js.info(), tried };
}

export function backendName(): string {
  return engine.backend.name;
}
export function backendInfo(name?: string): BackendInfo {
  const b = name ? engine.backends.get(name) : engine.backend;
  if (!b) throw new Error(`backendInfo: backend '${name}' is not initialised`);
  return b.info();
}

declare module './tensor.js' {
  interface Tensor {
    /** A copy of this tensor on another backend (a new leaf; requiresGrad is carried over). */
    to(backend: Exclude<BackendName, 'auto'>): Promise<Tensor>;
  }
}

Tensor.prototype.to = async function (this: Tensor, name: Exclude<BackendName, 'auto'>): Promise<Tensor> {
  this.assertLive('to');
  if (name === this.backendName) return this;
  const target = await loadBackend(name);
  if (!target.info().dtypes.includes(this.dtype))
    throw new Error(`to: backend '${name}' does not support ${this.dtype}`);
  const data = await this.data();
  const t = new Tensor(target.upload(data, this.dtype), this.shape, this.dtype);
  if (this.requiresGrad) t.requiresGrad = true;
  return t;
};
