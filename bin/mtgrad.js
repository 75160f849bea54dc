#!/usr/bin/env node
// The installed command: runs the compiled CLI (npm install's `prepare` script builds dist/ with tsc).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    'mtgrad: dist/ is missing; run `npm run build` in the mtgrad package (or `npm install`, which builds it)\n',
  );
  process.exit(1);
}
const { runAndExit } = await import(entry.href);
await runAndExit(process.argv.slice(2));
