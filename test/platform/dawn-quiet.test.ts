/**
 * init({ backend: 'auto' }) — what every CLI run and loadPredictor do by default — opens Dawn only where a GPU could
 * answer, so Dawn's warnings ("Couldn't load Vulkan", "maxDynamic… artificially reduced") are not printed on a
 * machine without one. Run in a child process, because Dawn writes them from C++ straight to the process's stderr.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { platform } from '../../src/platform/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const skip = platform.autoWebGpuSkipReason();

describe('auto backend and Dawn', () => {
  it.skipIf(skip === null)(
    `does not open Dawn where no GPU could answer${skip === null ? ' (skipped: this machine has a GPU device and a Vulkan loader)' : ''}`,
    () => {
      const child = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          "const mt = await import('./src/index.ts'); const r = await mt.init(); console.log(JSON.stringify(r));",
        ],
        {
          cwd: root,
          encoding: 'utf8',
          env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
        },
      );
      expect(child.status, child.stderr).toBe(0);
      const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as {
        backend: string;
        tried: Record<string, string>;
      };
      expect(result.backend).not.toBe('webgpu');
      expect(result.tried.webgpu).toBe(skip);
      expect(child.stderr).not.toMatch(/Couldn't load Vulkan|artificially reduced|Warning:/);
    },
  );
});
