import { defineConfig } from 'vitest/config';
import { generateWgslModule } from './scripts/generate-wgsl.mjs';

// The webgpu backend imports its kernels as bundled strings: regenerate them from kernels/*.wgsl before any test.
generateWgslModule();

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Native addons and Dawn are happier in forked processes than in worker threads.
    pool: 'forks',
  },
});
