/**
 * Scalar definitions of every elementwise formula of kernels.ts, in double precision. Elementwise kernels, the
 * matmul epilogue and the fused kernels all use these, so each formula is written exactly once.
 */
import type { Activation, BinaryOp, DType, UnaryArgs, UnaryOp } from '../kernels.js';
import { erf, erfc } from './erf.js';

const SQRT_HALF = Math.SQRT1_2;
const SQRT_TWO_OVER_PI = Math.sqrt(2 / Math.PI);

/** 1/(1+e^−x) without overflow: e^x is only evaluated for x < 0. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function logSigmoid(x: number): number {
  return Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
}

export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** x·Φ(x) = 0.5x(1+erf(x/√2)); written with erfc for x < 0 where 1+erf(x/√2) would cancel. */
export function gelu(x: number): number {
  return x >= 0 ? 0.5 * x * (1 + erf(x * SQRT_HALF)) : 0.5 * x * erfc(-x * SQRT_HALF);
}

export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_TWO_OVER_PI * (x + 0.044715 * x * x * x)));
}

/** max(x, 0) that keeps NaN (as torch.relu does) and maps −0 to 0. */
export function relu(x: number): number {
  return Math.max(x, 0);
}

/** Round half away from zero (Math.round alone rounds half toward +∞). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

export function unaryFunction(op: UnaryOp, dtype: DType, args: UnaryArgs | undefined): (x: number) => number {
  // int32 reaches only neg, abs, sign and square (checked before dispatch, ../checks.ts checkUnary).
  if (dtype === 'int32') {
    // Int32Array stores wrap (−(−2³¹) stays −2³¹ as in C); imul keeps the square exact modulo 2³².
    if (op === 'square') return (x) => Math.imul(x, x);
  }
  switch (op) {
    case 'neg':
      return (x) => -x;
    case 'exp':
      return Math.exp;
    case 'expm1':
      return Math.expm1;
    case 'log':
      return Math.log;
    case 'log1p':
      return Math.log1p;
    case 'sqrt':
      return Math.sqrt;
    case 'rsqrt':
      return (x) => 1 / Math.sqrt(x);
    case 'square':
      return (x) => x * x;
    case 'reciprocal':
      return (x) => 1 / x;
    case 'abs':
      return Math.abs;
    case 'sign':
      return Math.sign;
    case 'floor':
      return Math.floor;
    case 'ceil':
      return Math.ceil;
    case 'round':
      return roundHalfAway;
    case 'sin':
      return Math.sin;
    case 'cos':
      return Math.cos;
    case 'tanh':
      return Math.tanh;
    case 'sigmoid':
      return sigmoid;
    case 'logSigmoid':
      return logSigmoid;
    case 'softplus':
      return softplus;
    case 'erf':
      return erf;
    case 'relu':
      return relu;
    case 'gelu':
      return gelu;
    case 'geluTanh':
      return geluTanh;
    case 'elu': {
      const alpha = args?.alpha ?? 1;
      return (x) => (x > 0 ? x : alpha * Math.expm1(x));
    }
    case 'leakyRelu': {
      const alpha = args?.alpha ?? 0.01;
      return (x) => (x > 0 ? x : alpha * x);
    }
    default:
      throw new Error(`unary: unknown op '${String(op)}'`);
  }
}

/** Integer power modulo 2³² (C semantics for int32 overflow); negative exponents truncate 1/aⁿ toward zero. */
export function intPow(base: number, exponent: number): number {
  if (exponent < 0) {
    if (base === 1) return 1;
    if (base === -1) return (exponent & 1) === 0 ? 1 : -1;
    if (base === 0) throw new Error('binary: int32 pow of 0 to a negative exponent');
    return 0;
  }
  let result = 1;
  let b = base | 0;
  let e = exponent;
  while (e > 0) {
    if (e & 1) result = Math.imul(result, b);
    b = Math.imul(b, b);
    e >>>= 1;
  }
  return result;
}

function intDivisor(y: number, op: string): number {
  if (y === 0) throw new Error(`binary: int32 ${op} by zero`);
  return y;
}

export function binaryFunction(op: BinaryOp, dtype: DType): (x: number, y: number) => number {
  if (dtype === 'int32') {
    switch (op) {
      case 'add':
        return (x, y) => (x + y) | 0;
      case 'sub':
        return (x, y) => (x - y) | 0;
      case 'mul':
        return Math.imul;
      case 'div':
        return (x, y) => (x / intDivisor(y, 'div')) | 0; // truncation toward zero, as in C
      case 'mod':
        return (x, y) => (x % intDivisor(y, 'mod')) | 0; // JS % is the C remainder (sign of x)
      case 'pow':
        return intPow;
      default:
        break; // comparisons and min/max are the same as for floats
    }
  }
  switch (op) {
    case 'add':
      return (x, y) => x + y;
    case 'sub':
      return (x, y) => x - y;
    case 'mul':
      return (x, y) => x * y;
    case 'div':
      return (x, y) => x / y;
    case 'pow':
      return Math.pow;
    case 'minimum':
      return Math.min; // Math.min/max propagate NaN
    case 'maximum':
      return Math.max;
    case 'mod':
      return (x, y) => x - y * Math.floor(x / y);
    case 'eq':
      return (x, y) => (x === y ? 1 : 0);
    case 'ne':
      return (x, y) => (x !== y ? 1 : 0);
    case 'lt':
      return (x, y) => (x < y ? 1 : 0);
    case 'le':
      return (x, y) => (x <= y ? 1 : 0);
    case 'gt':
      return (x, y) => (x > y ? 1 : 0);
    case 'ge':
      return (x, y) => (x >= y ? 1 : 0);
    default:
      throw new Error(`binary: unknown op '${String(op)}'`);
  }
}

/** The matmul epilogue's activation; null for 'none' so the caller can skip the pass. */
export function activationFunction(activation: Activation | undefined, dtype: DType): ((x: number) => number) | null {
  if (activation === undefined || activation === 'none') return null;
  if (dtype === 'int32' && activation !== 'relu')
    throw new Error(`matmul: activation '${activation}' needs a float dtype, got int32`);
  switch (activation) {
    case 'relu':
      return relu;
    case 'sigmoid':
      return sigmoid;
    case 'tanh':
      return Math.tanh;
    case 'gelu':
      return gelu;
    default:
      throw new Error(`matmul: unknown activation '${String(activation)}'`);
  }
}
