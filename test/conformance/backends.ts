/**
 * Which backends the conformance suite runs on. js always; native and webgpu when they load. A backend named in
 * MTGRAD_REQUIRE (comma-separated; CI sets it) that fails to load fails the run instead of being skipped.
 */
import { loadBackend } from '../../src/index.js';
import { requiredBackends } from './required.js';

export interface BackendAvailability {
  name: 'js' | 'native' | 'webgpu';
  available: boolean;
  reason: string;
}

export async function probeBackends(): Promise<BackendAvailability[]> {
  const out: BackendAvailability[] = [];
  for (const name of ['js', 'native', 'webgpu'] as const) {
    try {
      const b = await loadBackend(name);
      out.push({ name, available: true, reason: b.info().description });
    } catch (e) {
      const reason = (e as Error).message;
      if (requiredBackends.has(name))
        throw new Error(`MTGRAD_REQUIRE includes '${name}' but it is unavailable: ${reason}`);
      console.warn(`[mtgrad conformance] SKIPPING backend '${name}': ${reason}`);
      out.push({ name, available: false, reason });
    }
  }
  return out;
}

export const availability = await probeBackends();
export const availableBackends = availability.filter((b) => b.available).map((b) => b.name);
