/**
 * Benchmark dispatcher: `npm run bench -- <suite> [args...]` loads bench/<suite>.ts and awaits its run(args).
 * Kept minimal on purpose: each suite is a self-contained file.
 */
const [suite, ...args] = process.argv.slice(2);
if (!suite || !/^[\w-]+$/.test(suite)) {
  console.error('usage: npm run bench -- <suite> [args]   (runs bench/<suite>.ts, e.g. `npm run bench -- matmul`)');
  process.exit(1);
}
const mod = (await import(`./${suite}.js`)) as { run?: (args: string[]) => Promise<void> };
if (typeof mod.run !== 'function') {
  console.error(`bench/${suite}.ts does not export run(args)`);
  process.exit(1);
}
await mod.run(args);
