/**
 * The command's failure modes, run as a user runs it: one clear line on stderr (no stack trace), a non-zero exit
 * code, and nothing half-written. And the ones that must not fail: a reader that closes the pipe early.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRunFiles } from '../../src/cli/run-files.js';
import { readLines } from '../../src/data/line-reader.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function run(cmd: string, args: string[], input = '', timeoutMs = 60_000): Promise<Result> {
  return new Promise((done, fail) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd: process.cwd(), env: { ...process.env, MTGRAD_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: Date.now() - t0 });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

const mtgrad = (args: string[], input?: string, timeoutMs?: number) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], input, timeoutMs);

/** stderr without the backend's driver warnings and progress lines: what a user reads as the outcome. */
function errorLines(r: Result): string[] {
  return r.stderr.split('\n').filter((l) => l.startsWith('mtgrad') || /^\s+at /.test(l) || /Error/.test(l));
}

function expectOneLineFailure(r: Result, message: RegExp, code = 1): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = errorLines(r);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

const ROW = {
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
};

describe('mtgrad failure modes', () => {
  let dir: string;
  let checkpoint: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mtgrad-cli-errors-'));
    const r = await mtgrad(
      [
        'train',
        '--data',
        'census',
        '--limit',
        '300',
        '--max-steps',
        '1',
        '--backend',
        'js',
        '--probe-every',
        '0',
        '--out',
        join(dir, 'run'),
      ],
      undefined,
      120_000,
    );
    expect(r.code, r.stderr).toBe(0);
    checkpoint = join(dir, 'run', 'model.safetensors');
  }, 120_000);

  it('rejects numbers in non-decimal notation (--lr 0x10)', async () => {
    expectOneLineFailure(
      await mtgrad(['train', '--lr', '0x10']),
      /^mtgrad train: --lr must be a positive number, got '0x10'$/,
      2,
    );
  });

  it('checks --out before any work: a file, or a place that cannot be written (/proc)', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const asFile = await mtgrad(['train', '--data', 'census', '--limit', '300', '--backend', 'js', '--out', file]);
    expectOneLineFailure(asFile, /^mtgrad train: --out .*a-file: is a file, not a folder$/);
    expect(asFile.stdout).not.toMatch(/data:|training/);
    const proc = await mtgrad(
      ['train', '--data', 'census', '--limit', '300', '--backend', 'js', '--out', '/proc/x/y'],
      undefined,
      20_000,
    );
    expectOneLineFailure(proc, /^mtgrad train: --out \/proc\/x\/y: cannot write there \(\w+\)$/);
    expect(proc.stdout).not.toMatch(/data:|training/);
  });

  it('a diverged run (losses ~1e12) exits non-zero with one clear line', async () => {
    const r = await mtgrad(
      [
        'train',
        '--data',
        'synthetic',
        '--limit',
        '400',
        '--epochs',
        '2',
        '--batch-size',
        '100',
        '--backend',
        'js',
        '--optimizer',
        'sgd',
        '--lr',
        '5',
        '--out',
        join(dir, 'diverged'),
      ],
      undefined,
      120_000,
    );
    expectOneLineFailure(
      r,
      /^mtgrad train: training diverged: task 'task\d' has mean loss [\d.]+e\+\d+ in epoch 2 .*try a lower --lr/,
    );
  }, 120_000);

  it('predict: --output a folder, a missing --input', async () => {
    expectOneLineFailure(
      await mtgrad(['predict', '--checkpoint', checkpoint, '--backend', 'js', '--output', dir], JSON.stringify(ROW)),
      /^mtgrad predict: --output .*: is a folder, not a file$/,
    );
    expectOneLineFailure(
      await mtgrad(['predict', '--checkpoint', checkpoint, '--backend', 'js', '--input', join(dir, 'nope.jsonl')]),
      /^mtgrad predict: --input .*nope\.jsonl: no such file$/,
    );
  });

  it('predict: --input /dev/zero fails on the first "line" instead of filling memory', async () => {
    expectOneLineFailure(
      await mtgrad(['predict', '--checkpoint', checkpoint, '--backend', 'js', '--input', '/dev/zero']),
      /^mtgrad predict: \/dev\/zero line 1: longer than 16 MiB without a line break/,
    );
  });

  it('predict: values that are not numbers or overflow, named by line and field; no output file left', async () => {
    const output = join(dir, 'scores.jsonl');
    const cases: [unknown, RegExp][] = [
      [1e308, /^mtgrad predict: stdin line 2: numeric feature "age" = 1e\+308 is out of range/],
      [true, /^mtgrad predict: stdin line 2: numeric feature "age" = true is not a number$/],
      [[37], /^mtgrad predict: stdin line 2: numeric feature "age" = \[37\] is not a number$/],
      ['0x10', /^mtgrad predict: stdin line 2: numeric feature "age" = "0x10" is not a number$/],
    ];
    for (const [age, message] of cases) {
      const r = await mtgrad(
        ['predict', '--checkpoint', checkpoint, '--backend', 'js', '--output', output],
        `${JSON.stringify(ROW)}\n${JSON.stringify({ ...ROW, age })}\n`,
      );
      expectOneLineFailure(r, message);
      expect(existsSync(output)).toBe(false);
    }
  });

  it('predict: a checkpoint with NaN weights fails naming the line and task instead of printing null', async () => {
    const bytes = await readFile(checkpoint);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
      string,
      { dtype: string; data_offsets: [number, number] }
    >;
    const [, entry] = Object.entries(header).find(
      ([k, v]) => k !== '__metadata__' && v.dtype === 'F32' && /tower|head|weight/.test(k),
    )!;
    const patched = Buffer.from(bytes);
    for (let o = entry.data_offsets[0]; o < entry.data_offsets[1]; o += 4)
      patched.writeFloatLE(Number.NaN, 8 + headerLength + o);
    const nanCheckpoint = join(dir, 'nan.safetensors');
    await writeFile(nanCheckpoint, patched);
    const r = await mtgrad(['predict', '--checkpoint', nanCheckpoint, '--backend', 'js'], JSON.stringify(ROW));
    expect(r.stdout).not.toContain('null');
    expectOneLineFailure(r, /^mtgrad predict: (stdin line 1: the score of task '\w+' is NaN|.*not finite)/);
  });

  it('predict | head -1 ends quietly', async () => {
    const rows = Array.from({ length: 5000 }, () => JSON.stringify(ROW)).join('\n');
    const input = join(dir, 'rows.jsonl');
    await writeFile(input, rows);
    const r = await run('bash', [
      '-c',
      `set -o pipefail; ${JSON.stringify(process.execPath)} --import tsx src/cli/main.ts predict --checkpoint ${JSON.stringify(checkpoint)} --backend js --batch-size 16 --input ${JSON.stringify(input)} | head -1`,
    ]);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('run folder writes', () => {
  it('replaces the files of a run as a whole and cleans what killed runs left', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-run-files-'));
    await writeFile(join(dir, 'model.safetensors'), 'old model');
    await writeFile(join(dir, 'metrics.json'), 'old metrics');
    await writeFile(join(dir, '.model.safetensors.4242.abcdef.tmp'), 'killed write');
    await mkdir(join(dir, '.mtgrad-staging-4242'));
    // A write that fails half-way (a kill looks the same on disk): the old set stays whole.
    await expect(
      writeRunFiles(dir, [
        { name: 'model.safetensors', write: (p) => writeFile(p, 'new model') },
        { name: 'metrics.json', write: () => Promise.reject(new Error('disk full')) },
      ]),
    ).rejects.toThrow('disk full');
    expect(await readFile(join(dir, 'model.safetensors'), 'utf8')).toBe('old model');
    expect(await readFile(join(dir, 'metrics.json'), 'utf8')).toBe('old metrics');
    expect((await readdir(dir)).sort()).toEqual(['metrics.json', 'model.safetensors']);
    await writeRunFiles(dir, [
      { name: 'model.safetensors', write: (p) => writeFile(p, 'new model') },
      { name: 'metrics.json', write: (p) => writeFile(p, 'new metrics') },
    ]);
    expect(await readFile(join(dir, 'model.safetensors'), 'utf8')).toBe('new model');
    expect(await readFile(join(dir, 'metrics.json'), 'utf8')).toBe('new metrics');
    expect((await readdir(dir)).sort()).toEqual(['metrics.json', 'model.safetensors']);
  });

  it('a corrupt gzip file is named in the error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-gz-'));
    const path = join(dir, 'rows.csv.gz');
    await writeFile(path, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8]));
    const read = async () => {
      for await (const line of readLines(path)) void line;
    };
    await expect(read()).rejects.toThrow(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .+`));
  });
});
