/**
 * CGC — Customized Gate Control (Tang et al., RecSys 2020, §4.1): PLE's single extraction level. Task k's tower
 * reads softmax(W_k x)-weighted task-k-specific and shared experts; there is no shared gate (nothing above reads
 * it). Config: the ple keys without `levels` (see ple.ts). Outputs, loss and lastGates as ple.
 */
import { PLE } from './ple.js';
import type { ModelPlacement } from './multi-task-model.js';

export class CGC extends PLE {
  constructor(config: unknown, place: ModelPlacement = {}) {
    super(config, place, 'cgc');
  }
}
