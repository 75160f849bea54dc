#!/usr/bin/env node
// Builds the ESM browser bundle dist/browser/mtgrad.js from src/browser.ts: the engine, the js and webgpu backends,
// the models and mtgrad/infer's loadPredictor, with the platform layer swapped for its browser half (no `node:`
// import, no addon, WebGPU from navigator.gpu) and the WGSL kernels inlined as strings. Prints the size minified
// and gzipped. `browserBuildOptions` is shared with the browser test, which bundles its own page the same way.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { generateWgslModule } from './generate-wgsl.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Resolves src/platform/index's `./node.js` to `./browser.js`, and fails the build on any `node:` import left. */
const browserPlatform = {
  name: 'mtgrad-browser-platform',
  setup(build) {
    build.onResolve({ filter: /^\.\/node\.js$/ }, (args) =>
      args.importer.endsWith(join('src', 'platform', 'index.ts'))
        ? { path: join(dirname(args.importer), 'browser.ts') }
        : undefined,
    );
    build.onResolve({ filter: /^node:/ }, (args) => ({
      errors: [
        {
          text: `'${args.path}' imported by ${args.importer.slice(root.length + 1)}: the browser build must not reach Node-only code`,
        },
      ],
    }));
  },
};

export function browserBuildOptions(overrides = {}) {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return {
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'warning',
    define: { MTGRAD_BUNDLE_VERSION: JSON.stringify(version) },
    plugins: [browserPlatform],
    ...overrides,
  };
}

export async function buildBrowserBundle() {
  generateWgslModule();
  const outfile = join(root, 'dist', 'browser', 'mtgrad.js');
  mkdirSync(dirname(outfile), { recursive: true });
  await esbuild.build(
    browserBuildOptions({
      entryPoints: [join(root, 'src', 'browser.ts')],
      outfile,
      minify: true,
      legalComments: 'none',
    }),
  );
  const bytes = readFileSync(outfile);
  const sizes = { minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  writeFileSync(join(dirname(outfile), 'size.json'), `${JSON.stringify(sizes)}\n`);
  return { outfile, ...sizes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outfile, minified, gzip } = await buildBrowserBundle();
  console.log(
    `browser bundle: ${outfile.slice(root.length + 1)} ${(minified / 1024).toFixed(1)} KiB minified, ${(gzip / 1024).toFixed(1)} KiB gzip`,
  );
}
