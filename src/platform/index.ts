/**
 * The host platform. This module re-exports the Node one; scripts/build-browser.mjs swaps it for ./browser.js when
 * it bundles dist/browser/mtgrad.js (which package.json's exports give browsers for 'mtgrad/infer' and 'mtgrad/browser').
 */
export { platform } from './node.js';
export type { Platform } from './types.js';
