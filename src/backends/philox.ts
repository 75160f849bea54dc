/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): the counter-based
 * generator behind every random kernel. This TypeScript version is the reference the native (C++) and WebGPU
 * (WGSL) versions are tested against: same key and counter ⇒ the same four 32-bit words, bit for bit.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32, exact (16-bit limbs keep every partial below 2^53). */
export function mulhi32(a: number, b: number): number {
  a >>>= 0;
  b >>>= 0;
  const aL = a & 0xffff,
    aH = a >>> 16,
    bL = b & 0xffff,
    bH = b >>> 16;
  const lolo = aL * bL,
    lohi = aL * bH,
    hilo = aH * bL,
    hihi = aH * bH;
  const cross = (lolo >>> 16) + (lohi & 0xffff) + (hilo & 0xffff);
  return (hihi + (lohi >>> 16) + (hilo >>> 16) + Math.floor(cross / 65536)) >>> 0;
}

/** Writes the block for counter (c0, c1, 0, 0) and key (k0, k1) into out[0..3]. */
export function philox4x32(c0: number, c1: number, k0: number, k1: number, out: Uint32Array): void {
  philox4x32Full(c0, c1, 0, 0, k0, k1, out);
}

/**
 * The full four-word-counter block (counter (c0, c1, c2, c3), key (k0, k1)) into out[0..3]. The random stream
 * only uses c2 = c3 = 0; the general form exists so the Random123 known-answer vectors can be checked.
 */
export function philox4x32Full(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
): void {
  let x0 = c0 >>> 0,
    x1 = c1 >>> 0,
    x2 = c2 >>> 0,
    x3 = c3 >>> 0;
  let key0 = k0 >>> 0,
    key1 = k1 >>> 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi32(M0, x0),
      lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulhi32(M1, x2),
      lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ key0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ key1) >>> 0;
    x3 = lo0;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_M24 = 1 / 16777216;

/** Fills out[0..size) per the stream defined in kernels.ts (RandomParams). */
export function philoxFill(
  out: Float32Array | Float64Array | Int32Array,
  dist: 'uniform' | 'normal' | 'randint',
  seedLo: number,
  seedHi: number,
  offset: number,
  a: number,
  b: number,
): void {
  const w = new Uint32Array(4);
  const size = out.length;
  for (let i = 0; i < size; i++) {
    const ctr = offset + i;
    philox4x32(ctr % TWO_POW_32, Math.floor(ctr / TWO_POW_32), seedLo, seedHi, w);
    if (dist === 'uniform') {
      out[i] = a + (b - a) * ((w[0]! >>> 8) * TWO_POW_M24);
    } else if (dist === 'normal') {
      const u1 = ((w[0]! >>> 8) + 1) * TWO_POW_M24;
      const u2 = (w[1]! >>> 8) * TWO_POW_M24;
      out[i] = a + b * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    } else {
      out[i] = a + mulhi32(w[0]!, b - a);
    }
  }
}
