/// <reference types="@webgpu/types" />
/** The Node platform: the C++ addon, Dawn's Node bindings (npm `webgpu`, optional) and files. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Platform } from './types.js';
import { setPlanner } from '../compile/plan-hooks.js';

/**
 * Dawn's entry object must stay referenced for the life of the process: once it is garbage-collected, Dawn
 * tears down its instance under live devices and crashes later at random. Module scope keeps it alive.
 */
let dawnInstance: GPU | null = null;

async function loadDawn(): Promise<GPU> {
  if (dawnInstance) return dawnInstance;
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    // A variable specifier keeps bundlers and tsc from requiring the optional package to exist.
    const name = 'webgpu';
    mod = (await import(name)) as typeof mod;
  } catch (e) {
    throw new Error(
      `webgpu backend unavailable: the optional npm package 'webgpu' (Dawn for Node) could not be loaded ` +
        `(${(e as Error).message}); install it with 'npm install webgpu'`,
    );
  }
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp'; // Vulkan loaders warn (or fail) without it
  Object.assign(globalThis, mod.globals);
  dawnInstance = mod.create([]);
  return dawnInstance;
}

const LIBRARY_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/lib64',
  '/usr/local/lib',
];

function hasVulkanLoader(): boolean {
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LIBRARY_DIRS];
  return dirs.some((dir) => existsSync(`${dir}/libvulkan.so.1`));
}

/** A GPU device node: Mesa/AMD/Intel render nodes, NVIDIA's driver, WSL's paravirtual GPU. */
function hasGpuDevice(): boolean {
  if (existsSync('/dev/nvidiactl') || existsSync('/dev/dxg')) return true;
  try {
    return readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
  } catch {
    return false;
  }
}

let version: string | undefined;

/** Read from the package.json above this module (the same from src/ under tsx and from dist/). */
function packageVersion(): string {
  if (version !== undefined) return version;
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 6; level++) {
    const candidate = join(directory, 'package.json');
    if (existsSync(candidate)) {
      const json = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (json.name === 'mtgrad' && typeof json.version === 'string') return (version = json.version);
    }
    directory = dirname(directory);
  }
  return (version = 'unknown');
}

export const platform: Platform = {
  name: 'node',
  async createNativeBackend() {
    const [native, plans] = await Promise.all([
      import('../backends/native/index.js'),
      import('../compile/native-plan.js'),
    ]);
    // mt.compile's one-call executor for this backend (kept out of compile's static imports: see plan-hooks.ts).
    setPlanner('native', { planFor: plans.nativePlanFor, lastRefusal: () => plans.lastNativePlanRefusal });
    return native.createNativeBackend();
  },
  defaultGpu: loadDawn,
  packageVersion,
  autoWebGpuSkipReason() {
    // Only Linux is probed: elsewhere Dawn talks to Metal / D3D12, which any machine with a GPU has.
    if (process.platform !== 'linux') return null;
    if (!hasVulkanLoader()) return 'no Vulkan loader (libvulkan.so.1) is installed';
    if (!hasGpuDevice())
      return 'no GPU device (/dev/dri/renderD*, /dev/nvidiactl), so only a software renderer could answer';
    return null;
  },
  async readBytes(location) {
    const url =
      location instanceof URL
        ? location
        : /^[a-z][a-z0-9+.-]+:\/\//i.test(location) || /^(data|blob):/i.test(location)
          ? new URL(location)
          : null;
    if (url && url.protocol !== 'file:') {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`${url.href}: HTTP ${response.status} ${response.statusText}`);
      return new Uint8Array(await response.arrayBuffer());
    }
    const path = url ? fileURLToPath(url) : String(location);
    const bytes = await readFile(path);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
};
