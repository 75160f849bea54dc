// Types for scripts/build-browser.mjs (imported by the browser test).
import type { BuildOptions } from 'esbuild';

export function browserBuildOptions(
  overrides?: BuildOptions,
): BuildOptions & { plugins: NonNullable<BuildOptions['plugins']> };
export function buildBrowserBundle(): Promise<{ outfile: string; minified: number; gzip: number }>;
