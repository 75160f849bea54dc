/// <reference types="@webgpu/types" />
/**
 * What the engine needs from its host that differs between Node and a browser (or an edge runtime). Everything
 * else — tensors, the js and webgpu backends, the models, mtgrad/infer — is plain ECMAScript + WebGPU.
 */
import type { Backend } from '../backends/kernels.js';

export interface Platform {
  readonly name: 'node' | 'browser';
  /** The C++ addon backend; throws an Error saying why where there is none (always, in a browser). */
  createNativeBackend(): Promise<Backend>;
  /** The WebGPU entry object used when none is passed: Dawn (npm `webgpu`) in Node, `navigator.gpu` in a browser. */
  defaultGpu(): Promise<GPU>;
  /**
   * Why init({ backend: 'auto' }) should not even open WebGPU here, or null to try it. Opening Dawn where only a
   * software renderer could answer (which 'auto' never picks) costs time and prints Dawn's warnings.
   */
  autoWebGpuSkipReason(): string | null;
  /** The bytes at a file path or file: URL (Node) or at an address fetch() understands (http(s), blob:, data:, relative). */
  readBytes(location: string | URL): Promise<Uint8Array>;
  /** mtgrad's version: from its package.json in Node, stamped in at bundle time in the browser build. */
  packageVersion(): string;
}
