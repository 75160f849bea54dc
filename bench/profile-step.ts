/**
 * `npm run bench -- profile-step [--backend native] [--config wide]`: where one MMoE training step spends its time,
 * per kernel (wall time inside each backend method, call counts), to steer optimisation work.
 */
import { loadavg } from 'node:os';
import * as mt from '../src/index.js';
import { e2eStep, e2eWorkload } from '../src/cli/commands/bench.js';
import type { Backend } from '../src/backends/kernels.js';

function arg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
}

export async function run(args: string[]): Promise<void> {
  const backend = arg(args, 'backend', 'native') as 'js' | 'native' | 'webgpu';
  const wide = arg(args, 'config', 'wide') === 'wide';
  await mt.init({ backend });
  const be = (await mt.loadBackend(backend)) as unknown as Record<string, unknown>;
  const stats = new Map<string, { ms: number; calls: number; detail: Map<string, number> }>();
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(Object.getPrototypeOf(be))).concat(
    Object.getOwnPropertyNames(Object.getPrototypeOf(be)),
  )) {
    const fn = be[name];
    if (typeof fn !== 'function' || name === 'constructor' || stats.has(name)) continue;
    stats.set(name, { ms: 0, calls: 0, detail: new Map() });
    be[name] = function (this: Backend, ...a: unknown[]) {
      const t0 = performance.now();
      const r = (fn as (...x: unknown[]) => unknown).apply(this, a);
      const s = stats.get(name)!;
      const dt = performance.now() - t0;
      s.ms += dt;
      s.calls++;
      if (typeof a[0] === 'string') s.detail.set(a[0], (s.detail.get(a[0]) ?? 0) + dt);
      if (name === 'matmul') {
        const p = a[2] as {
          batch: number;
          m: number;
          k: number;
          n: number;
          transA: boolean;
          transB: boolean;
          aBatchStride: number;
          bBatchStride: number;
          activation?: string;
        };
        const key = `${p.batch}x${p.m}x${p.k}x${p.n}${p.transA ? ' tA' : ''}${p.transB ? ' tB' : ''}${p.aBatchStride === 0 && p.batch > 1 ? ' bcastA' : ''}${p.bBatchStride === 0 && p.batch > 1 ? ' bcastB' : ''}${p.activation && p.activation !== 'none' ? ` ${p.activation}` : ''}`;
        s.detail.set(key, (s.detail.get(key) ?? 0) + dt);
      }
      return r;
    };
  }
  const w = e2eWorkload(wide ? 'wide' : 'census', 1024);
  const opt = new mt.optim.Adam(w.model.parameters(), { lr: 1e-3 });
  const step = () => e2eStep(w, opt);
  for (let i = 0; i < 2; i++) await step().data();
  for (const s of stats.values()) {
    s.ms = 0;
    s.calls = 0;
    s.detail.clear();
  }
  const N = 5;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const l = step();
    await l.data();
    l.dispose();
  }
  const total = (performance.now() - t0) / N;
  const cpu = process.cpuUsage(cpu0);
  // Wall times per kernel stretch when other processes share the cores: the load average says how much.
  console.log(
    `${backend} ${wide ? 'wide' : 'census'}: ${total.toFixed(1)} ms/step wall, ${((cpu.user + cpu.system) / 1000 / N).toFixed(1)} ms/step CPU (all threads), load ${loadavg()[0]!.toFixed(2)}`,
  );
  const rows = [...stats.entries()].filter(([, s]) => s.calls).sort((a, b) => b[1].ms - a[1].ms);
  for (const [name, s] of rows) {
    const det = [...s.detail.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([k, v]) => `${k} ${(v / N).toFixed(1)}`)
      .join(', ');
    console.log(
      `  ${name.padEnd(22)} ${(s.ms / N).toFixed(2).padStart(8)} ms  ${String(s.calls / N).padStart(6)} calls  ${det}`,
    );
  }
}
