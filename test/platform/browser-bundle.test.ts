/**
 * The browser build's contract, checked without a browser: src/browser.ts bundles with the browser platform
 * (the build fails on any `node:` import reached), takes the platform's browser half and not its Node half, and
 * carries every WGSL kernel of kernels/ as a string.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { browserBuildOptions } from '../../scripts/build-browser.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('browser bundle', () => {
  it('builds from src/browser.ts with no node: import, the browser platform, and the kernels inlined', async () => {
    const result = await esbuild.build(
      browserBuildOptions({
        entryPoints: [join(root, 'src/browser.ts')],
        write: false,
        metafile: true,
        logLevel: 'silent',
      }),
    );
    const inputs = Object.keys(result.metafile!.inputs);
    expect(inputs).toContain('src/platform/browser.ts');
    expect(
      inputs.filter(
        (p) =>
          p === 'src/platform/node.ts' ||
          p.startsWith('src/backends/native/') ||
          p.startsWith('src/cli/') ||
          p.startsWith('src/train/'),
      ),
    ).toEqual([]);
    expect(inputs).toContain('src/backends/webgpu/wgsl.generated.ts');
    // The generated module holds every kernels/*.wgsl file, byte for byte (vitest's config regenerated it).
    const { WGSL_SOURCES } = await import('../../src/backends/webgpu/wgsl.generated.js');
    const files = readdirSync(join(root, 'kernels'))
      .filter((f) => f.endsWith('.wgsl'))
      .sort();
    expect(Object.keys(WGSL_SOURCES).sort()).toEqual(files);
    for (const file of files)
      expect(WGSL_SOURCES[file], `kernels/${file}`).toBe(readFileSync(join(root, 'kernels', file), 'utf8'));
  });

  it('fails, naming the importer, when Node-only code is reached', async () => {
    await expect(
      esbuild.build(
        browserBuildOptions({
          stdin: {
            contents: "import { readFileSync } from 'node:fs'; console.log(readFileSync);",
            resolveDir: join(root, 'src'),
            sourcefile: 'src/leaky.ts',
            loader: 'ts',
          },
          write: false,
          logLevel: 'silent',
        }),
      ),
    ).rejects.toThrow(/'node:fs' imported by .*the browser build must not reach Node-only code/);
  });
});
