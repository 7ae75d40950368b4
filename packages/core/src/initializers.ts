/**
 * Weight initialisers computed in plain JavaScript from a seed, so a model starts from bit-identical weights on
 * every backend (tfjs's own random ops differ between backends). Keras defaults: `glorotUniform` for kernels,
 * `orthogonal` for the recurrent kernel, `zeros` for biases.
 */

/** A small, fast, seedable generator (sfc32 seeded through splitmix32). Returns floats in [0, 1). */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.uniform();
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }
}

/** Derives an independent seed for stream `index` of a model seeded with `seed`. */
export function deriveSeed(seed: number, index: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Glorot (Xavier) uniform for a [fanIn, fanOut] matrix: U(−l, l) with l = √(6 / (fanIn + fanOut)). */
export function glorotUniform(fanIn: number, fanOut: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (rng.uniform() * 2 - 1) * limit;
  return out;
}

/**
 * Orthogonal [rows, cols] matrix as Keras makes it: QR of a standard normal matrix, Q's columns signed by R's
 * diagonal so the distribution is uniform (Haar). Computed in float64 with Householder reflections.
 */
export function orthogonal(rows: number, cols: number, seed: number, gain = 1): Float32Array {
  const rng = new SeededRandom(seed);
  // QR needs rows ≥ cols; for a wide matrix factor the transpose.
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const a = new Float64Array(m * n); // row-major m×n
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  const q = householderQ(a, m, n);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const v = gain * q[i * n + j]!;
      if (rows >= cols) out[i * cols + j] = v;
      else out[j * cols + i] = v;
    }
  }
  return out;
}

/** Thin Q (m×n, row-major) of the QR factorisation of a (m×n, m ≥ n), with Q·diag(sign(diag R)). */
function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  const r = Float64Array.from(a);
  const vs: Float64Array[] = [];
  const signs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += r[i * n + k]! ** 2;
    norm = Math.sqrt(norm);
    const alpha = r[k * n + k]! >= 0 ? -norm : norm;
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = r[i * n + k]!;
    v[0]! -= alpha;
    let vnorm = 0;
    for (let i = 0; i < v.length; i++) vnorm += v[i]! ** 2;
    if (vnorm > 0) {
      for (let j = k; j < n; j++) {
        let dot = 0;
        for (let i = k; i < m; i++) dot += v[i - k]! * r[i * n + j]!;
        const f = (2 * dot) / vnorm;
        for (let i = k; i < m; i++) r[i * n + j]! -= f * v[i - k]!;
      }
    }
    vs.push(v);
    signs[k] = r[k * n + k]! < 0 ? -1 : 1;
  }
  // Q = H_0 H_1 … H_{n-1} applied to the first n columns of the identity.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k]!;
    let vnorm = 0;
    for (let i = 0; i < v.length; i++) vnorm += v[i]! ** 2;
    if (vnorm === 0) continue;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k]! * q[i * n + j]!;
      const f = (2 * dot) / vnorm;
      for (let i = k; i < m; i++) q[i * n + j]! -= f * v[i - k]!;
    }
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) q[i * n + j]! *= signs[j]!;
  return q;
}
