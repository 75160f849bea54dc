/**
 * Helpers shared by the experiment scripts: flag parsing, mean ± std, markdown tables, the environment line that
 * heads every results file, and writing docs/results/<name>.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function flags<T extends Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>>(
  options: T,
): Record<keyof T, string | boolean | undefined> {
  const { values } = parseArgs({ options, allowPositionals: false });
  return values as unknown as Record<keyof T, string | boolean | undefined>;
}

export function intList(text: string): number[] {
  return text.split(',').map((s) => {
    const v = Number(s.trim());
    if (!Number.isInteger(v)) throw new Error(`expected a comma-separated list of integers, got '${text}'`);
    return v;
  });
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n − 1); 0 for a single value. */
export function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

export function meanStd(xs: readonly number[], digits = 4): string {
  return xs.length > 1 ? `${mean(xs).toFixed(digits)} ± ${std(xs).toFixed(digits)}` : mean(xs).toFixed(digits);
}

export function markdownTable(header: string[], rows: string[][]): string {
  const escapeCell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.map(escapeCell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(escapeCell).join(' | ')} |`),
  ].join('\n');
}

function gitRevision(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      }).trim() !== '';
    return dirty ? `${rev} (with uncommitted changes in the working tree)` : rev;
  } catch {
    return 'unknown';
  }
}

/** One line saying where and how the numbers were produced. */
export function environmentLine(backendDescription: string): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return (
    `Run on ${new Date().toISOString().slice(0, 10)}, commit ${gitRevision()}, Node ${process.version}, ${cpu} ` +
    `(${cpus().length} logical cores), backend ${backendDescription}, MTGRAD_NUM_THREADS=${process.env.MTGRAD_NUM_THREADS ?? '(unset)'}.`
  );
}

export function writeResults(name: string, markdown: string): string {
  const path = join(REPO_ROOT, 'docs', 'results', `${name}.md`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  return path;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
