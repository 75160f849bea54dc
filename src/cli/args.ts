/**
 * Argument parsing for the subcommands on top of node:util's parseArgs: every option declared once with its help
 * line, numbers validated where they are read, and one UsageError type the entry point turns into exit code 2.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** Shown in --help; hidden options (test hooks) leave it out. */
  help?: string;
  /** Placeholder in --help, e.g. N or DIR. */
  value?: string;
  short?: string;
  default?: string | boolean;
  multiple?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** Extra lines after the options (examples, notes). */
  notes?: string[];
}

export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.options)
    .filter(([, o]) => o.help !== undefined)
    .map(([name, o]) => {
      const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
      const def = o.default !== undefined && o.default !== false ? ` (default: ${String(o.default)})` : '';
      return [flag, `${o.help}${def}`];
    });
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return [
    `Usage: ${spec.usage}`,
    '',
    spec.summary,
    '',
    'Options:',
    ...rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`),
    ...(spec.notes?.length ? ['', ...spec.notes] : []),
    '',
  ].join('\n');
}

export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

/** Parses argv for one subcommand; null means --help was asked for (and printed). */
export function parseCommand(
  spec: CommandSpec,
  argv: string[],
  out: (text: string) => void,
): { values: ParsedValues; positionals: string[] } | null {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, o] of Object.entries(spec.options))
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs' messages are clear but long; keep their first sentence and point at --help.
    const message = (error as Error).message.split('. ')[0].replace(/\.$/, '');
    throw new UsageError(`${message} (see mtgrad ${spec.name} --help)`);
  }
  if (parsed.values.help) {
    out(helpText(spec));
    return null;
  }
  const values = { ...parsed.values } as ParsedValues;
  for (const [name, o] of Object.entries(spec.options))
    if (values[name] === undefined && o.default !== undefined) values[name] = o.default;
  return { values, positionals: parsed.positionals };
}

/** Typed readers with errors that name the flag. */
export class Flags {
  constructor(
    private readonly command: string,
    private readonly values: ParsedValues,
  ) {}

  string(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : undefined;
  }

  required(name: string): string {
    const v = this.string(name);
    if (v === undefined || v === '') throw new UsageError(`--${name} is required (see mtgrad ${this.command} --help)`);
    return v;
  }

  boolean(name: string): boolean {
    return this.values[name] === true;
  }

  list(name: string): string[] {
    const v = this.values[name];
    return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  }

  int(name: string, opts: { min?: number } = {}): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    const min = opts.min ?? 1;
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min)
      throw new UsageError(`--${name} must be an integer >= ${min}, got '${v}'`);
    return n;
  }

  number(name: string, opts: { positive?: boolean } = {}): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    // Decimal notation only: Number() would also take 0x10, 0b1 and 1_000-free oddities as numbers.
    if (
      !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim()) ||
      !Number.isFinite(n) ||
      (opts.positive && !(n > 0))
    ) {
      throw new UsageError(`--${name} must be a ${opts.positive ? 'positive ' : ''}number, got '${v}'`);
    }
    return n;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!allowed.includes(v as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`);
    return v as T;
  }

  /** A comma-separated list of positive integers, e.g. --expert-dims 32,16. */
  intList(name: string): number[] | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const parts = v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (!parts.every((p) => /^\d+$/.test(p) && Number(p) >= 1))
      throw new UsageError(`--${name} must be comma-separated positive integers, got '${v}'`);
    return parts.map(Number);
  }
}
