/**
 * Small checks for JSON configuration read from a file: each failure is one line naming the key path and what was
 * expected, e.g. `config.tasks[1].label: expected a column name, got 3`.
 */

export class ConfigError extends Error {
  /** `got` (the offending value, possibly undefined = absent) is shown when passed. */
  constructor(
    readonly keyPath: string,
    readonly expected: string,
    ...got: [] | [unknown]
  ) {
    super(`${keyPath}: ${expected}${got.length === 0 ? '' : `, got ${describe(got[0])}`}`);
    this.name = 'ConfigError';
  }
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function object(value: unknown, at: string, allowed?: readonly string[]): JsonObject {
  if (!isObject(value)) throw new ConfigError(at, 'expected an object', value);
  if (allowed) {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key))
        throw new ConfigError(`${at}.${key}`, `unknown key (expected one of ${allowed.join(', ')})`);
    }
  }
  return value;
}

export function string(value: unknown, at: string, what = 'a string'): string {
  if (typeof value !== 'string' || value === '') throw new ConfigError(at, `expected ${what}`, value);
  return value;
}

export function optionalString(value: unknown, at: string, what?: string): string | undefined {
  return value === undefined ? undefined : string(value, at, what);
}

export function oneOf<T extends string>(value: unknown, at: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new ConfigError(at, `expected one of ${choices.map((c) => `"${c}"`).join(', ')}`, value);
  }
  return value as T;
}

export function number(
  value: unknown,
  at: string,
  check: (n: number) => boolean = () => true,
  what = 'a number',
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value))
    throw new ConfigError(at, `expected ${what}`, value);
  return value;
}

export function boolean(value: unknown, at: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(at, 'expected true or false', value);
  return value;
}

/** A list of values as the tokens they are in the file: strings, or numbers written as JSON numbers. */
export function tokens(value: unknown, at: string): string[] {
  if (!Array.isArray(value)) throw new ConfigError(at, 'expected a list of values (strings or numbers)', value);
  return value.map((item, i) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'number' && Number.isFinite(item)) return String(item);
    throw new ConfigError(`${at}[${i}]`, 'expected a string or a number', item);
  });
}

/** One string or a non-empty list of strings (file paths). */
export function strings(value: unknown, at: string, what: string): string[] {
  if (typeof value === 'string' && value !== '') return [value];
  if (!Array.isArray(value) || value.length === 0)
    throw new ConfigError(at, `expected ${what} or a list of them`, value);
  return value.map((item, i) => string(item, `${at}[${i}]`, what));
}
