/**
 * Whether model.predict, mtgrad/infer and the Trainer use mt.compile when the caller does not say. On by default;
 * `MTGRAD_COMPILE=0` (or false/off) in the environment turns it off, and setCompileDefault overrides both (the
 * command line's --no-compile). Each of those entry points also takes a `compile` option of its own.
 */
let override: boolean | null = null;

/** true/false: the default for every later call; null: back to the environment's say. */
export function setCompileDefault(on: boolean | null): void {
  override = on;
}

export function compileByDefault(): boolean {
  if (override !== null) return override;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.MTGRAD_COMPILE;
  if (env === undefined || env === '') return true;
  const v = env.trim().toLowerCase();
  if (v === '0' || v === 'false' || v === 'off' || v === 'no') return false;
  if (v === '1' || v === 'true' || v === 'on' || v === 'yes') return true;
  throw new Error(`MTGRAD_COMPILE must be 0/1 (or false/true, off/on), got '${env}'`);
}
