/**
 * Feeding one task's prediction into another task's input — the classic trick (e.g. a CVR head that reads the CTR
 * estimate) — with stopGradient, so that the consuming task's loss cannot move the producing task: the value
 * flows forward, no gradient flows back. Pass { detach: false } to let it flow (then the consumer's loss trains
 * the producer as well, as in ESMM's pCTCVR = pCTR·pCVR).
 *
 *   const pCtr = sigmoid(ctrTower.forward(h));
 *   const cvrIn = concat([h, feedPrediction(pCtr).reshape([-1, 1])], 1);
 */
import type { Tensor } from '../tensor/tensor.js';
import { stopGradient } from '../autograd/record.js';

export function feedPrediction(prediction: Tensor, opts: { detach?: boolean } = {}): Tensor {
  return opts.detach === false ? prediction : stopGradient(prediction);
}
