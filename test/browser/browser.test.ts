/**
 * mtgrad in a real browser: headless Chromium (system package; skipped with a visible line where absent) opens
 * pages served from 127.0.0.1 that
 *  - load a checkpoint trained here with the shipped bundle dist/browser/mtgrad.js and score rows on webgpu
 *    (navigator.gpu: SwiftShader on a machine without a GPU) and on js; both must match Node's scores to 1e-5;
 *  - run the conformance suite's forward cases on webgpu, compared with Node's float64 reference.
 * The scoring times (median of 3 after a warm-up) are printed: they are a record, not an assertion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import * as esbuild from 'esbuild';
import { browserBuildOptions } from '../../scripts/build-browser.mjs';
import { loadPredictor } from '../../src/infer/index.js';
import { CASES, COMPOSITES } from '../conformance/cases.js';
import { caseValues, runCase } from '../conformance/harness.js';
import { assertClose } from '../conformance/compare.js';
import { Chromium, findChromium } from './chromium.js';
import type { PageCase } from './conformance-page.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const chromium = findChromium();
if (!chromium) {
  // CI installs chromium and sets MTGRAD_REQUIRE=...,browser: there a missing browser fails the run instead.
  if (
    (process.env.MTGRAD_REQUIRE ?? '')
      .split(',')
      .map((s) => s.trim())
      .includes('browser')
  ) {
    throw new Error(
      "MTGRAD_REQUIRE includes 'browser' but no chromium was found (apt-get install chromium, or set CHROMIUM_PATH)",
    );
  }
  console.warn(
    '[mtgrad browser] SKIPPING the browser tests: no chromium here (apt-get install chromium, or set CHROMIUM_PATH)',
  );
}

/** Raw rows as a page would send them, drawn from the checkpoint's own schema: known and unseen categories, numbers around each mean. */
function rowsFromSchema(
  schema: {
    spec: { columns: { column: string; role: string }[] };
    vocabularies: { tokens: string[] }[];
    numericStats: { mean: number; std: number }[];
  },
  n: number,
) {
  const categorical = schema.spec.columns.filter((c) => c.role === 'categorical').map((c) => c.column);
  const numeric = schema.spec.columns.filter((c) => c.role === 'numeric').map((c) => c.column);
  return Array.from({ length: n }, (_, i) => {
    const row: Record<string, unknown> = {};
    categorical.forEach((column, k) => {
      const tokens = schema.vocabularies[k].tokens;
      row[column] = (i + k) % 11 === 0 ? 'never-seen-value' : tokens[(i * 7 + k * 3) % tokens.length];
    });
    numeric.forEach((column, k) => {
      const { mean, std } = schema.numericStats[k];
      row[column] = Math.round((mean + std * Math.sin(i * 0.37 + k)) * 100) / 100;
    });
    return row;
  });
}

const SCORE_PAGE = `<!doctype html><meta charset="utf-8"><title>mtgrad scoring</title><script type="module">
import * as mt from '/dist/browser/mtgrad.js';
async function run() {
  const rows = await (await fetch('/rows.json')).json();
  const result = { scores: {}, ms: {}, describe: {} };
  for (const backend of ['js', 'webgpu']) {
    const predictor = await mt.loadPredictor('/model.safetensors', { backend });
    await predictor.predict(rows.slice(0, 8));
    const times = [];
    let scores;
    for (let r = 0; r < 3; r++) {
      const start = performance.now();
      scores = await predictor.predict(rows);
      times.push(performance.now() - start);
    }
    result.ms[backend] = times.sort((a, b) => a - b)[1];
    result.describe[backend] = mt.backendInfo(backend).description;
    result.scores[backend] = scores.map((s) => predictor.tasks.map((t) => s[t]));
    result.tasks = predictor.tasks;
    predictor.dispose();
  }
  return result;
}
globalThis.mtgradRun = run();
</script>`;

const CONFORMANCE_PAGE =
  '<!doctype html><meta charset="utf-8"><title>mtgrad conformance</title><script type="module" src="/conformance.js"></script>';

/** Waits for the page's `mtgradRun` promise (module scripts may still be loading at the load event). */
const AWAIT_RUN = `(async () => {
  for (let i = 0; i < 600 && !globalThis.mtgradRun; i++) await new Promise((r) => setTimeout(r, 100));
  if (!globalThis.mtgradRun) throw new Error('the page never started its run (see the console lines)');
  return await globalThis.mtgradRun;
})()`;

describe.skipIf(!chromium)('in headless Chromium', () => {
  let work: string;
  let server: Server;
  let base: string;
  let browser: Chromium;
  const files = new Map<string, { type: string; body: Buffer | string }>();

  beforeAll(async () => {
    expect(
      existsSync(join(root, 'dist/browser/mtgrad.js')),
      'dist/browser/mtgrad.js is missing: run `npm run build`',
    ).toBe(true);
    work = mkdtempSync(join(tmpdir(), 'mtgrad-browser-'));
    const trained = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'train',
        '--data',
        'census',
        '--limit',
        '3000',
        '--max-steps',
        '20',
        '--batch-size',
        '256',
        '--backend',
        'js',
        '--probe-every',
        '0',
        '--out',
        work,
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(trained.status, trained.stderr).toBe(0);
    const page = await esbuild.build(
      browserBuildOptions({
        entryPoints: [join(root, 'test/browser/conformance-page.ts')],
        write: false,
        // The conformance cases import the package root; in the page that is the browser entry.
        plugins: [
          ...browserBuildOptions().plugins,
          {
            name: 'root-is-browser-entry',
            setup(build) {
              build.onResolve({ filter: /src\/index\.js$/ }, (args) => ({
                path: join(dirname(args.importer), args.path.replace(/index\.js$/, 'browser.ts')),
              }));
            },
          },
        ],
      }),
    );
    files.set('/score.html', { type: 'text/html', body: SCORE_PAGE });
    files.set('/conformance.html', { type: 'text/html', body: CONFORMANCE_PAGE });
    files.set('/conformance.js', { type: 'text/javascript', body: Buffer.from(page.outputFiles![0].contents) });
    files.set('/dist/browser/mtgrad.js', {
      type: 'text/javascript',
      body: readFileSync(join(root, 'dist/browser/mtgrad.js')),
    });
    files.set('/model.safetensors', {
      type: 'application/octet-stream',
      body: readFileSync(join(work, 'model.safetensors')),
    });
    server = createServer((req, res) => {
      const file = files.get(req.url ?? '');
      if (!file) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': file.type }).end(file.body);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await Chromium.launch(chromium!);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('scores rows with the shipped bundle on webgpu (navigator.gpu) and js, as Node does (1e-5)', async () => {
    const node = await loadPredictor(join(work, 'model.safetensors'), { backend: 'js' });
    const rows = rowsFromSchema(node.checkpoint.schema as unknown as Parameters<typeof rowsFromSchema>[0], 500);
    const expected = (await node.predict(rows)).map((s) => node.tasks.map((t) => s[t]));
    node.dispose();
    files.set('/rows.json', { type: 'application/json', body: JSON.stringify(rows) });

    const page = await browser.evaluateOnPage<{
      scores: Record<string, number[][]>;
      ms: Record<string, number>;
      describe: Record<string, string>;
      tasks: string[];
    }>(`${base}/score.html`, AWAIT_RUN);
    expect(page.tasks).toEqual(node.tasks);
    for (const backend of ['js', 'webgpu']) {
      const got = page.scores[backend];
      expect(got, `no ${backend} scores from the page`).toHaveLength(rows.length);
      assertClose(got.flat(), expected.flat(), { atol: 1e-5, rtol: 0 }, `browser ${backend} scores vs Node`);
    }
    console.log(
      `[mtgrad browser] ${rows.length} rows scored in Chromium: webgpu (${page.describe.webgpu}) ${page.ms.webgpu.toFixed(1)} ms, ` +
        `js ${page.ms.js.toFixed(1)} ms (median of 3 after a warm-up)`,
    );
  }, 300_000);

  it('serves examples/browser with one command, and its page scores typed rows as Node does', async () => {
    const server = spawn(
      process.execPath,
      ['examples/browser/serve.mjs', join(work, 'model.safetensors'), '--port', '0'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const url = await new Promise<string>((done, fail) => {
        let out = '';
        server.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
          if (m) done(m[0]);
        });
        server.on('exit', (code) =>
          fail(new Error(`examples/browser/serve.mjs exited ${code} before listening: ${out}`)),
        );
      });
      const node = await loadPredictor(join(work, 'model.safetensors'), { backend: 'js' });
      const rows = rowsFromSchema(node.checkpoint.schema as unknown as Parameters<typeof rowsFromSchema>[0], 3);
      const expected = (await node.predict(rows)).map((s) => node.tasks.map((t) => s[t]));
      node.dispose();
      // What a user does: wait for the checkpoint to load, type rows (JSON lines), press Score, read the table.
      const table = await browser.evaluateOnPage<string[][]>(
        url,
        `(async () => {
        const $ = (id) => document.getElementById(id);
        for (let i = 0; i < 600 && $('score').disabled; i++) await new Promise((r) => setTimeout(r, 100));
        if ($('score').disabled) throw new Error('the example never loaded its checkpoint: ' + $('status').textContent);
        $('rows').value = ${JSON.stringify(rows.map((r) => JSON.stringify(r)).join('\n'))};
        $('score').click();
        for (let i = 0; i < 600 && !$('out').querySelector('table'); i++) await new Promise((r) => setTimeout(r, 100));
        if (!$('out').querySelector('table')) throw new Error('no scores: ' + $('status').textContent);
        return [...$('out').querySelectorAll('tr')].slice(1).map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent));
      })()`,
      );
      expect(table.map((r) => r.length)).toEqual(expected.map((r) => r.length));
      // The page shows 4 decimals: equal to Node's scores up to that rounding.
      assertClose(
        table.flat().map(Number),
        expected.flat(),
        { atol: 5e-5 + 1e-6, rtol: 0 },
        'example page scores vs Node',
      );
    } finally {
      server.kill();
    }
  }, 300_000);

  it("runs the conformance forward cases on webgpu in the page, against Node's float64 reference", async () => {
    const page = await browser.evaluateOnPage<{ adapter: string; cases: Record<string, PageCase> }>(
      `${base}/conformance.html`,
      AWAIT_RUN,
    );
    const failures: string[] = [];
    let checked = 0;
    for (const c of [...CASES, ...COMPOSITES]) {
      if (c.skip?.includes('webgpu')) continue;
      const got = page.cases[c.name];
      try {
        if (!got) throw new Error('the page returned nothing for it');
        if (got.error) throw new Error(got.error.split('\n')[0]);
        const ref = await runCase(c, caseValues(c), 'js', 'float64');
        expect(got.shape, `${c.name} shape`).toEqual([...ref.outShape]);
        assertClose(
          got.out!.map(Number),
          ref.out,
          c.tol ?? { atol: 2e-5, rtol: 2e-4 },
          `${c.name} forward on webgpu in Chromium`,
        );
        checked++;
      } catch (error) {
        failures.push(`${c.name}: ${(error as Error).message}`);
      }
    }
    console.log(`[mtgrad browser] conformance forward on ${page.adapter}: ${checked} cases matched`);
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  }, 600_000);
});
