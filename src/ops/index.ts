/** Every op, as functions; importing this also installs the Tensor methods. */
import './methods.js';
export * from './creation.js';
export * from './elementwise.js';
export {
  sum,
  mean,
  max,
  min,
  argmax,
  argmin,
  variance,
  variance as var,
  logsumexp,
  softmax,
  logSoftmax,
  sumToShape,
  type Axes,
} from './reduce.js';
export * from './shape.js';
export * from './linalg.js';
export * from './loss.js';
export * from './nn.js';
export type { TensorLike } from './util.js';
