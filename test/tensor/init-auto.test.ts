/** init({backend:'auto'}) picks the best real backend and says why it skipped the others. */
import { it, expect } from 'vitest';
import * as mt from '../../src/index.js';

it('auto never picks a software WebGPU adapter and reports why each backend was skipped', async () => {
  const r = await mt.init({ backend: 'auto' });
  expect(['webgpu', 'native', 'js']).toContain(r.backend);
  if (r.backend !== 'webgpu') expect(Object.keys(r.tried)).toContain('webgpu');
  if (r.backend === 'js') expect(r.tried.native).toBeTruthy();
  expect(mt.backendName()).toBe(r.backend);
  console.log(`[mtgrad] auto picked '${r.backend}'; skipped: ${JSON.stringify(r.tried)}`);
  await mt.init({ backend: 'js' });
});
