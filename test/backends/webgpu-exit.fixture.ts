// Spawned by webgpu-kernels.test.ts: uses the webgpu backend and must exit on its own (no hanging handles),
// once after destroy() and — the second half of the check — with nothing else to keep the event loop alive.
import { createWebGpuBackend } from '../../src/backends/webgpu/index.js';

const backend = await createWebGpuBackend();
const x = backend.upload(new Float32Array([1, 2, 3]), 'float32');
const sum = await backend.read(backend.reduce('sum', x, 1, 3, 1));
console.log(`ok ${sum[0]}`);
backend.destroy();
