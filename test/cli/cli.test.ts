/** The command end to end, as a user runs it from a checkout: `node --import tsx src/cli/main.ts ...`. */
import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult as Result, mtgrad } from './run-cli.js';

/** Census rows as a user would send them: raw column values keyed by column name. */
const ROWS = [
  {
    age: 45,
    class_worker: 'Private',
    det_ind_code: '33',
    det_occ_code: '19',
    wage_per_hour: 0,
    capital_gains: 15024,
    capital_losses: 0,
    stock_dividends: 200,
    num_emp: 6,
    weeks_worked: 52,
    sex: 'Male',
    id: 'a',
  },
  {
    age: 19,
    class_worker: 'Not in universe',
    wage_per_hour: 0,
    capital_gains: 0,
    capital_losses: 0,
    stock_dividends: 0,
    num_emp: 0,
    weeks_worked: 0,
    sex: 'Female',
    id: 'b',
  },
];

describe('mtgrad command', () => {
  let out: string;
  let train: Result;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'mtgrad-cli-'));
    train = await mtgrad([
      'train',
      '--data',
      'census',
      '--limit',
      '1500',
      '--epochs',
      '1',
      '--batch-size',
      '256',
      '--backend',
      'js',
      '--probe-every',
      '2',
      '--out',
      out,
    ]);
  }, 120_000);

  it('trains on a census subset: validation table, test metrics, checkpoint, metrics and report', async () => {
    expect(train.stderr).not.toMatch(/mtgrad train:/);
    expect(train.code).toBe(0);
    expect(train.stdout).toMatch(/epoch 1: validation/);
    expect(train.stdout).toMatch(/test metrics/);
    expect(train.stdout).toMatch(/income\s+0\.\d{4}/);
    // Not a terminal: plain progress lines with throughput and losses.
    expect(train.stderr).toMatch(/samples\/s\s+ETA \d+:\d\d\s+loss income \d/);
    expect(train.stderr).not.toContain('\r');
    for (const file of ['model.safetensors', 'metrics.json', 'report.html'])
      expect(existsSync(join(out, file))).toBe(true);
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.test.income.count).toBe(1500);
    expect(metrics.history.gradientCosines.length).toBeGreaterThan(0);
  });

  it('writes a self-contained report: inline SVG curves, gate heatmaps, gradient cosines, nothing fetched', async () => {
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Training loss per task');
    expect(html).toContain('Validation AUC per task');
    expect(html).toContain('Mean gate weight per expert');
    expect(html).toContain('Cosine similarity of task gradients');
    expect(html).not.toMatch(/<script|<link|src="http|href="http|url\(/);
  });

  it('evaluates the checkpoint on a split', async () => {
    const r = await mtgrad([
      'eval',
      '--checkpoint',
      join(out, 'model.safetensors'),
      '--limit',
      '1500',
      '--backend',
      'js',
      '--json',
    ]);
    expect(r.stderr).not.toMatch(/mtgrad eval:/);
    expect(r.code).toBe(0);
    const metrics = JSON.parse(r.stdout);
    const trained = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.income.auc).toBeCloseTo(trained.test.income.auc, 10);
  });

  it('predicts JSONL in → JSONL out, one line per row, in order', async () => {
    const r = await mtgrad(
      ['predict', '--checkpoint', join(out, 'model.safetensors'), '--backend', 'js', '--id', 'id'],
      ROWS.map((row) => JSON.stringify(row)).join('\n'),
    );
    expect(r.stderr).not.toMatch(/mtgrad predict:/);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(['a', 'b']);
    for (const l of lines)
      for (const task of ['income', 'never_married']) {
        expect(l[task]).toBeGreaterThan(0);
        expect(l[task]).toBeLessThan(1);
      }
  });

  it('names the line of a bad JSONL row', async () => {
    const r = await mtgrad(
      ['predict', '--checkpoint', join(out, 'model.safetensors'), '--backend', 'js'],
      `${JSON.stringify(ROWS[0])}\n{not json\n`,
    );
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^mtgrad predict: stdin line 2: not valid JSON/);
    const badValue = await mtgrad(
      ['predict', '--checkpoint', join(out, 'model.safetensors'), '--backend', 'js'],
      `${JSON.stringify(ROWS[0])}\n\n${JSON.stringify({ ...ROWS[1], age: 'old' })}\n`,
    );
    expect(badValue.code).toBe(1);
    expect(badValue.stderr.trim().split('\n').at(-1)).toBe(
      'mtgrad predict: stdin line 3: numeric feature "age" = "old" is not a number',
    );
  });

  it('answers --help for the command and every subcommand', async () => {
    const main = await mtgrad(['--help']);
    expect(main.code).toBe(0);
    for (const command of ['train', 'eval', 'predict', 'info', 'bench']) {
      expect(main.stdout).toContain(command);
      const r = await mtgrad([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: mtgrad ${command}`));
      expect(r.stdout).toContain('--help');
    }
  }, 60_000);

  it('fails with one clear line and a non-zero code on bad arguments', async () => {
    const cases: [string[], RegExp, number][] = [
      [['train', '--epochs', 'zero'], /^mtgrad train: --epochs must be an integer >= 1, got 'zero'$/, 2],
      [
        ['train', '--model', 'transformer'],
        /^mtgrad train: --model must be one of singleTask, sharedBottom, omoe, mmoe, cgc, ple, esmm, aitm, rnr, mran, got 'transformer'$/,
        2,
      ],
      [['train', '--bogus'], /^mtgrad train: Unknown option '--bogus'.*--help\)$/, 2],
      [['frobnicate'], /^mtgrad: unknown command 'frobnicate'/, 2],
      [
        ['predict', '--checkpoint', join(tmpdir(), 'does-not-exist.safetensors')],
        /^mtgrad predict: .*does-not-exist\.safetensors/,
        1,
      ],
    ];
    for (const [args, message, code] of cases) {
      const r = await mtgrad(args);
      expect(r.code, args.join(' ')).toBe(code);
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Warning:'));
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    }
  }, 60_000);

  it('reports the backends (info --json)', async () => {
    const r = await mtgrad(['info', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.backends.js.available).toBe(true);
    expect(Object.keys(info.backends)).toEqual(['js', 'native', 'webgpu']);
  });

  it('benchmarks a backend briefly (bench --json)', async () => {
    const r = await mtgrad(['bench', '--backend', 'js', '--seconds', '0.01', '--batch-size', '64', '--json']);
    expect(r.code).toBe(0);
    const [js] = JSON.parse(r.stdout);
    expect(js.backend).toBe('js');
    for (const key of ['matmulGflops', 'addGBs', 'census', 'peakRssMiB']) expect(js[key]).toBeGreaterThan(0);
  });

  it('trains on synthetic regression data too (RMSE metrics)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-cli-'));
    const r = await mtgrad([
      'train',
      '--data',
      'synthetic',
      '--limit',
      '800',
      '--epochs',
      '1',
      '--batch-size',
      '200',
      '--backend',
      'js',
      '--out',
      dir,
    ]);
    expect(r.stderr).not.toMatch(/mtgrad train:/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/task1\s+\d+\.\d{4}\s+\d+\.\d{4}\s+200/);
  });
});

describe('mtgrad train --data census without the bundled copy', () => {
  it('downloads the files into --data-dir from --data-url and verifies them', async () => {
    const { createServer } = await import('node:http');
    const { createReadStream } = await import('node:fs');
    const { readdir } = await import('node:fs/promises');
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const name = (req.url ?? '').split('/').pop() ?? '';
      if (!/^census-income\.(data|test)\.gz$/.test(name)) {
        res.writeHead(404).end();
        return;
      }
      createReadStream(join('data', 'census-income', name)).pipe(res);
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    const port = (server.address() as { port: number }).port;
    try {
      const cache = await mkdtemp(join(tmpdir(), 'mtgrad-census-cache-'));
      const out = await mkdtemp(join(tmpdir(), 'mtgrad-cli-'));
      const args = [
        'train',
        '--data',
        'census',
        '--data-dir',
        cache,
        '--data-url',
        `http://127.0.0.1:${port}/mirror/`,
        '--limit',
        '300',
        '--max-steps',
        '1',
        '--backend',
        'js',
        '--probe-every',
        '0',
        '--out',
        out,
      ];
      const first = await mtgrad(args);
      expect(first.stderr).not.toMatch(/mtgrad train:/);
      expect(first.code).toBe(0);
      expect((await readdir(cache)).sort()).toEqual(['census-income.data.gz', 'census-income.test.gz']);
      expect(requests.sort()).toEqual(['/mirror/census-income.data.gz', '/mirror/census-income.test.gz']);
    } finally {
      server.close();
    }
  }, 120_000);
});
