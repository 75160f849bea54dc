/**
 * The native backend: C++ kernels (native/) behind the js backend's storage. createNativeBackend throws an Error
 * saying why when the addon is not built or cannot load, so init({ backend: 'auto' }) falls back to js.
 */
import type { Backend } from '../kernels.js';
import { loadAddon } from './addon.js';
import { NativeBackend } from './backend.js';

export { NativeBackend } from './backend.js';
export { addonPath, loadAddon, missingFromAddon, NEEDED_OPS, type NativeAddon, type NativeInfo } from './addon.js';

export async function createNativeBackend(): Promise<Backend> {
  return new NativeBackend(loadAddon());
}
