/** MTGRAD_REQUIRE (comma-separated backend names; CI sets it): a backend named there must load, not be skipped. */
export const requiredBackends: ReadonlySet<string> = new Set(
  (process.env.MTGRAD_REQUIRE ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
