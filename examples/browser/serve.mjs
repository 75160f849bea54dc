#!/usr/bin/env node
// Serves the browser example: `npm run example:browser [-- path/to/model.safetensors] [--port 8080]`.
// The page (index.html) loads the ESM bundle dist/browser/mtgrad.js and the checkpoint (default
// mtgrad-run/model.safetensors, written by `npx mtgrad train`; a page can also open one from disk), then scores the
// rows typed into it, on WebGPU through navigator.gpu where the browser has it, else on js.
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const { values, positionals } = parseArgs({ options: { port: { type: 'string', default: '8080' } }, allowPositionals: true });
const checkpoint = resolve(positionals[0] ?? 'mtgrad-run/model.safetensors');
const bundle = join(root, 'dist', 'browser', 'mtgrad.js');
if (!existsSync(bundle)) {
  console.error(`example:browser: ${bundle} is missing; run \`npm run build\` first`);
  process.exit(1);
}
if (!existsSync(checkpoint)) console.warn(`example:browser: no checkpoint at ${checkpoint} (train one with \`npx mtgrad train\`); the page can open one from disk`);

const routes = {
  '/': () => ['text/html', readFileSync(join(here, 'index.html'))],
  '/mtgrad.js': () => ['text/javascript', readFileSync(bundle)],
  '/model.safetensors': () => (existsSync(checkpoint) ? ['application/octet-stream', readFileSync(checkpoint)] : null),
};

const server = createServer((req, res) => {
  const found = routes[new URL(req.url ?? '/', 'http://x').pathname]?.();
  if (!found) return void res.writeHead(404).end('not found');
  res.writeHead(200, { 'content-type': found[0], 'cache-control': 'no-store' }).end(found[1]);
});
// 127.0.0.1 is a secure context, which navigator.gpu requires.
server.listen(Number(values.port), '127.0.0.1', () => console.log(`mtgrad browser example: http://127.0.0.1:${server.address().port}/ (Ctrl-C to stop)`));
