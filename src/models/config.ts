/**
 * Strict reading of the plain JSON-able model configs. Every read names the key it reads; whatever key was never
 * read is reported by done() as unknown, with the keys the model accepts. A bad value is an Error naming the key
 * (with its path, e.g. `tasks[1].type`) and the expected type or range: a misspelt option must never be silently
 * ignored and a bad size must fail at construction, not deep inside a kernel.
 */

export type JsonObject = Record<string, unknown>;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

export function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

interface IntRange {
  min?: number;
  max?: number;
}
interface NumberRange {
  min?: number;
  max?: number;
  exclusiveMin?: boolean;
}

export class ConfigReader {
  private readonly seen = new Set<string>();

  constructor(
    readonly where: string,
    readonly config: unknown,
  ) {
    if (!isPlainObject(config)) throw new Error(`${where}: the config must be a plain object, got ${describe(config)}`);
  }

  private get obj(): JsonObject {
    return this.config as JsonObject;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  private take(key: string): unknown {
    this.seen.add(key);
    return this.obj[key];
  }

  fail(key: string, expected: string, got: unknown): never {
    throw new Error(`${this.where}: '${key}' must be ${expected}, got ${describe(got)}`);
  }

  private checkInt(key: string, v: unknown, r: IntRange): number {
    const expected = `an integer${r.min !== undefined ? ` >= ${r.min}` : ''}${r.max !== undefined ? ` <= ${r.max}` : ''}`;
    if (
      typeof v !== 'number' ||
      !Number.isInteger(v) ||
      (r.min !== undefined && v < r.min) ||
      (r.max !== undefined && v > r.max)
    )
      this.fail(key, expected, v);
    return v;
  }

  int(key: string, def: number | undefined, r: IntRange = {}): number {
    const v = this.take(key);
    if (v === undefined) {
      if (def === undefined) this.fail(key, `given (an integer${r.min !== undefined ? ` >= ${r.min}` : ''})`, v);
      return def;
    }
    return this.checkInt(key, v, r);
  }

  optionalInt(key: string, r: IntRange = {}): number | undefined {
    const v = this.take(key);
    return v === undefined ? undefined : this.checkInt(key, v, r);
  }

  number(key: string, def: number, r: NumberRange = {}): number {
    const v = this.take(key);
    if (v === undefined) return def;
    const lo = r.min === undefined ? '' : ` ${r.exclusiveMin ? '>' : '>='} ${r.min}`;
    const expected = `a finite number${lo}${r.max !== undefined ? ` <= ${r.max}` : ''}`;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, expected, v);
    if (r.min !== undefined && (r.exclusiveMin ? v <= r.min : v < r.min)) this.fail(key, expected, v);
    if (r.max !== undefined && v > r.max) this.fail(key, expected, v);
    return v;
  }

  boolean(key: string, def: boolean): boolean {
    const v = this.take(key);
    if (v === undefined) return def;
    if (typeof v !== 'boolean') this.fail(key, 'true or false', v);
    return v;
  }

  oneOf<T extends string>(key: string, values: readonly T[], def: T): T {
    const v = this.take(key);
    if (v === undefined) return def;
    if (typeof v !== 'string' || !values.includes(v as T))
      this.fail(key, `one of ${values.map((x) => `'${x}'`).join(', ')}`, v);
    return v as T;
  }

  /** An array of integers >= min (each a layer width); `minLength` 0 allows []. */
  intArray(key: string, def: readonly number[], opts: { min?: number; minLength?: number } = {}): number[] {
    const v = this.take(key);
    if (v === undefined) return [...def];
    const min = opts.min ?? 1,
      minLength = opts.minLength ?? 0;
    const expected = `an array of at least ${minLength} integers >= ${min}`;
    if (
      !Array.isArray(v) ||
      v.length < minLength ||
      v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < min)
    )
      this.fail(key, expected, v);
    return [...(v as number[])];
  }

  /** The raw value for a nested structure the caller validates itself (with `this.where` and the key in messages). */
  raw(key: string): unknown {
    return this.take(key);
  }

  /** Throws on any key that was not read, listing the accepted ones. */
  done(): void {
    const unknown = Object.keys(this.obj).filter((k) => !this.seen.has(k) && this.obj[k] !== undefined);
    if (unknown.length) {
      throw new Error(
        `${this.where}: unknown config key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (accepted: ${[...this.seen].join(', ')})`,
      );
    }
  }
}

/** A reader for an object nested at `path` (e.g. `tasks[0]`), with errors naming the full path. */
export function nestedReader(parent: ConfigReader, path: string, value: unknown): ConfigReader {
  if (!isPlainObject(value)) parent.fail(path, 'an object', value);
  return new PathReader(parent.where, parent instanceof PathReader ? `${parent.path}.${path}` : path, value);
}

class PathReader extends ConfigReader {
  constructor(
    where: string,
    readonly path: string,
    value: JsonObject,
  ) {
    super(where, value);
  }
  override fail(key: string, expected: string, got: unknown): never {
    return super.fail(key.startsWith(`${this.path}.`) ? key : `${this.path}.${key}`, expected, got);
  }
  override done(): void {
    try {
      super.done();
    } catch (e) {
      throw new Error((e as Error).message.replace(`${this.where}:`, `${this.where}: in '${this.path}',`));
    }
  }
}

/** Names that become module and parameter path segments. */
export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;
