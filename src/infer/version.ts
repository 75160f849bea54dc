/** mtgrad's own version (the platform layer reads it from package.json in Node; the browser bundle has it stamped in). */
import { platform } from '../platform/index.js';

export function mtgradVersion(): string {
  return platform.packageVersion();
}
