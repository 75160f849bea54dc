/**
 * The published package, as a new user gets it: `npm pack` of this checkout's built dist/ (run `npm run build`
 * first, as CI's `npm ci` does through `prepare`), installed into an empty folder without the optional `webgpu`
 * package, then the README's quick start (`npx mtgrad train`, cut to 5 steps) run there. Slow (the install builds
 * the native addon), so this is the one test of it.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The environment without the npm_* variables `npm test` sets, so the nested npm sees no parent project's config. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): { stdout: string; stderr: string } {
  const result = spawnSync(command, args, {
    cwd,
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  if (result.status !== 0) {
    throw new Error(
      `\`${command} ${args.join(' ')}\` in ${cwd} exited ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return { stdout: result.stdout, stderr: result.stderr };
}

describe('the npm package', () => {
  it('installs from its tarball into an empty folder and runs the quick start there', { timeout: 20 * 60_000 }, () => {
    for (const built of ['dist/src/cli/main.js', 'dist/browser/mtgrad.js']) {
      expect(existsSync(join(root, built)), `${built} is missing: run \`npm run build\` before this test`).toBe(true);
    }
    const work = mkdtempSync(join(tmpdir(), 'mtgrad-tarball-'));
    try {
      run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], root, 5 * 60_000);
      const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
      expect(tarball, 'npm pack wrote no .tgz').toBeDefined();

      const listing = execFileSync('tar', ['tzf', join(work, tarball!)], { encoding: 'utf8' }).split('\n');
      for (const needed of [
        'package/LICENSE',
        'package/data/census-income/census-income.data.gz',
        'package/data/census-income/census-income.test.gz',
        'package/dist/browser/mtgrad.js',
        'package/dist/src/cli/main.js',
        'package/bin/mtgrad.js',
      ]) {
        expect(listing, `${needed} is not in the tarball`).toContain(needed);
      }
      expect(
        listing.filter((f) => f.endsWith('.map')),
        'source maps in the tarball',
      ).toEqual([]);

      const app = join(work, 'app');
      rmSync(app, { recursive: true, force: true });
      execFileSync('mkdir', [app]);
      writeFileSync(join(app, 'package.json'), '{ "name": "mtgrad-tarball-check", "private": true }\n');
      run(
        'npm',
        ['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=optional', join(work, tarball!)],
        app,
        15 * 60_000,
      );
      const installed = join(app, 'node_modules', 'mtgrad');
      expect(existsSync(join(app, 'node_modules', 'webgpu')), '--omit=optional still installed webgpu').toBe(false);
      const dangling = readdirSync(join(installed, 'dist', 'src'), { recursive: true, encoding: 'utf8' }).filter(
        (f) =>
          f.endsWith('.js') && readFileSync(join(installed, 'dist', 'src', f), 'utf8').includes('sourceMappingURL'),
      );
      expect(dangling, 'compiled files pointing at source maps that are not shipped').toEqual([]);

      const { stderr } = run('npx', ['mtgrad', 'train', '--max-steps', '5', '--out', 'run'], app, 5 * 60_000);
      console.log(`[mtgrad] packed-tarball quick start: ${stderr.split('\n').find((l) => l.startsWith('backend:'))}`);
      expect(existsSync(join(app, 'run', 'model.safetensors'))).toBe(true);
      expect(JSON.parse(readFileSync(join(app, 'run', 'metrics.json'), 'utf8')).test).toBeTruthy();
      // Dawn is not opened unless WebGPU is asked for (or could be a real GPU), so none of its warnings appear.
      expect(stderr).not.toMatch(/Couldn't load Vulkan|maxDynamic\w+ artificially reduced/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
