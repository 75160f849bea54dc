#!/usr/bin/env node
// Builds the native addon (native/ -> native/build/Release/mtgrad_native.node) with cmake-js. Run by `npm install`
// (the package's own install script) and `npm run build:native`. A failed build must not fail the install: the
// engine then falls back to the `js` backend, so this prints one line saying why and exits 0.
// Flags: --sanitize builds an ASan/UBSan variant into native/build/asan/ (see `npm run test:asan`);
//        --strict exits 1 on failure (for CI and development).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const sanitize = args.has('--sanitize');
const strict = args.has('--strict');
// The sanitized build lives inside native/build/ too (already git-ignored), in its own CMake tree.
const out = join(root, 'native', 'build', ...(sanitize ? ['asan'] : []));

function fail(reason) {
  console.log(`mtgrad: native addon not built (${reason}); the js backend will be used instead.`);
  process.exit(strict ? 1 : 0);
}

if (process.env.MTGRAD_SKIP_NATIVE_BUILD) fail('MTGRAD_SKIP_NATIVE_BUILD is set');
if (!existsSync(join(root, 'native', 'CMakeLists.txt'))) fail('native/CMakeLists.txt is missing');

let cmakeJs;
try {
  cmakeJs = createRequire(join(root, 'package.json'))('cmake-js');
} catch (e) {
  fail(`cmake-js is not installed: ${e.message}`);
}
if (!cmakeJs.CMake.isAvailable({})) fail('cmake was not found on PATH');
const cxx = process.env.CXX || 'c++';
if (spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status !== 0) fail(`no C++ compiler: \`${cxx} --version\` failed`);

const buildSystem = new cmakeJs.BuildSystem({
  directory: join(root, 'native'),
  out,
  config: 'Release',
  silent: !args.has('--verbose'),
  cMakeOptions: { MTGRAD_SANITIZE: sanitize ? 'ON' : 'OFF' },
});
// A Node-API addon needs only the bundled node-api headers, never a download of the full Node.js headers.
// cmake-js decides that from a `binary.napi_versions` field in package.json; we set the same option directly.
buildSystem.options.isNodeApi = true;

try {
  await buildSystem.build();
  console.log(`mtgrad: native addon built in ${out}`);
} catch (e) {
  const msg = String(e?.message ?? e).split('\n').find((l) => l.trim()) ?? 'unknown error';
  fail(`build failed: ${msg.trim()}; run \`npm run build:native -- --verbose --strict\` for the full log`);
}
