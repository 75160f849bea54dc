/**
 * The NumPy/OpenBLAS reference for bench/matmul.ts: runs the same float32 products through python3's NumPy in a
 * child process, with OPENBLAS_NUM_THREADS set per run and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed so that
 * OpenBLAS picks its own kernel for this CPU. Reports the kernel name OpenBLAS chose (threadpoolctl when
 * installed, else OpenBLAS's own get_corename through ctypes).
 */
import { spawnSync } from 'node:child_process';

const SCRIPT = `
import json, sys, time, glob, os, ctypes
import numpy as np
shapes, reps = json.loads(sys.argv[1]), int(sys.argv[2])
core = 'unknown'
try:
    from threadpoolctl import threadpool_info
    core = ';'.join(f"{i.get('internal_api')}:{i.get('architecture')}" for i in threadpool_info() if i.get('user_api') == 'blas')
except ImportError:
    d = os.path.dirname(os.path.dirname(np.__file__))
    for lib in glob.glob(d + '/numpy.libs/*openblas*') + glob.glob(d + '/scipy_openblas*/lib/*.so*'):
        l = ctypes.CDLL(lib)
        for fn in ('scipy_openblas_get_corename64_', 'openblas_get_corename64_', 'scipy_openblas_get_corename', 'openblas_get_corename'):
            if hasattr(l, fn):
                f = getattr(l, fn); f.restype = ctypes.c_char_p; core = 'openblas:' + f().decode(); break
out = {'numpy': np.__version__, 'core': core, 'best': []}
for m, k, n in shapes:
    a = np.random.rand(m, k).astype(np.float32); b = np.random.rand(k, n).astype(np.float32)
    a @ b
    best = float('inf')
    budget = time.perf_counter() + 2.0
    for r in range(reps):
        t = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t)
        if time.perf_counter() > budget and r >= 2: break
    out['best'].append(best)
print(json.dumps(out))
`;

export interface NumpyResult {
  numpy: string;
  core: string;
  best: number[];
}

/** Best seconds per product for each [m, k, n] on `threads` OpenBLAS threads, or a reason string when unavailable. */
export function numpyMatmul(
  shapes: readonly (readonly [number, number, number])[],
  threads: number,
  reps = 20,
): NumpyResult | string {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OPENBLAS_NUM_THREADS: String(threads),
    OMP_NUM_THREADS: String(threads),
  };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('python3', ['-c', SCRIPT, JSON.stringify(shapes), String(reps)], {
    env,
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.error) return `python3 not runnable: ${r.error.message}`;
  if (r.status !== 0) return `numpy run failed: ${(r.stderr || '').trim().split('\n').pop()}`;
  return JSON.parse(r.stdout) as NumpyResult;
}
