#!/usr/bin/env node
// Builds the native addon (native/ -> native/build/Release/mtgrad_native.node) with cmake-js. Run by `npm install`
// (the package's own install script) and `npm run build:native`. A failed build must not fail the install: the
// engine then falls back to the `js` backend, so this prints one line saying why and exits 0. npm hides the output of
// a dependency's install script, so that line also goes to the terminal (/dev/tty) when there is one, and into
// native/build/NOT_BUILT.txt, which the addon loader quotes when `native` is asked for (and `auto` skips it).
// Flags: --sanitize builds an ASan/UBSan variant into native/build/asan/ (see `npm run test:asan`);
//        --strict exits 1 on failure (for CI and development).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const sanitize = args.has('--sanitize');
const strict = args.has('--strict');
// The sanitized build lives inside native/build/ too (already git-ignored), in its own CMake tree.
const out = join(root, 'native', 'build', ...(sanitize ? ['asan'] : []));

// Installed as a dependency (under node_modules/), the fix is `npm rebuild mtgrad`; in a checkout, the build script.
const rebuild = root.split(/[\\/]/).includes('node_modules') ? 'npm rebuild mtgrad' : 'npm run build:native';
const notBuiltFile = join(out, 'NOT_BUILT.txt');

function fail(
  reason,
  fix = `to use it, install cmake and a C++17 compiler (e.g. \`apt-get install cmake g++\`), then run \`${rebuild}\``,
) {
  const line = `mtgrad: native addon not built (${reason}); the js backend will be used instead — ${fix}.`;
  console.log(line);
  try {
    mkdirSync(dirname(notBuiltFile), { recursive: true });
    writeFileSync(notBuiltFile, `${reason}; ${fix}\n`);
  } catch {
    // Best effort: the loader still says the addon is missing and how to build it.
  }
  if (!strict && !process.stdout.isTTY) {
    try {
      const tty = openSync('/dev/tty', 'w');
      writeSync(tty, `${line}\n`);
      closeSync(tty);
    } catch {
      // No controlling terminal (CI, Windows): the line above and NOT_BUILT.txt are all there is.
    }
  }
  process.exit(strict ? 1 : 0);
}

if (process.env.MTGRAD_SKIP_NATIVE_BUILD)
  fail('MTGRAD_SKIP_NATIVE_BUILD is set', `unset it and run \`${rebuild}\` to build it`);
if (!existsSync(join(root, 'native', 'CMakeLists.txt'))) fail('native/CMakeLists.txt is missing');

let cmakeJs;
try {
  cmakeJs = createRequire(join(root, 'package.json'))('cmake-js');
} catch (e) {
  fail(`cmake-js is not installed: ${e.message}`);
}
if (!cmakeJs.CMake.isAvailable({})) fail('cmake was not found on PATH');
const cxx = process.env.CXX || 'c++';
if (spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status !== 0)
  fail(`no C++ compiler: \`${cxx} --version\` failed`);

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
  rmSync(notBuiltFile, { force: true });
  console.log(`mtgrad: native addon built in ${out}`);
} catch (e) {
  const msg =
    String(e?.message ?? e)
      .split('\n')
      .find((l) => l.trim()) ?? 'unknown error';
  fail(
    `build failed: ${msg.trim()}; \`${rebuild === 'npm rebuild mtgrad' ? 'npm rebuild mtgrad --foreground-scripts' : 'npm run build:native -- --verbose'}\` shows the full log`,
  );
}
