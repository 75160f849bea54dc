/** Whether ops record onto the tape: noGrad() turns recording off for a synchronous function. */
import { engine } from '../tensor/engine.js';

export function isGradEnabled(): boolean {
  return engine.gradEnabled;
}

/** Runs fn without recording any op (inference, optimizer updates, metrics). */
export function noGrad<T>(fn: () => T): T {
  const prev = engine.gradEnabled;
  engine.gradEnabled = false;
  try {
    const r = fn();
    if (r instanceof Promise) throw new Error('noGrad: the function must be synchronous (it returned a Promise)');
    return r;
  } finally {
    engine.gradEnabled = prev;
  }
}

/** Runs fn with recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  const prev = engine.gradEnabled;
  engine.gradEnabled = true;
  try {
    return fn();
  } finally {
    engine.gradEnabled = prev;
  }
}
