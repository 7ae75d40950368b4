// Float64 plain-JS reference of the recurrent layers with Keras 3 semantics, independent of tfjs: the three
// cells (Keras gate layouts), masks (state carried over masked steps; outputs repeat the previous one, zeros
// before the first real step, or zeros at every masked step inside a bidirectional layer with sequences),
// goBackwards (sequences in processing order), initial states, and the bidirectional merges.
export type Act = 'tanh' | 'sigmoid' | 'relu' | 'linear' | 'hardSigmoid' | 'hardSigmoidKeras2' | 'softsign';
export type Matrix = number[][];

export function act(z: number, a: Act): number {
  switch (a) {
    case 'tanh':
      return Math.tanh(z);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-z));
    case 'relu':
      return Math.max(z, 0);
    case 'linear':
      return z;
    case 'hardSigmoid':
      return Math.min(Math.max(z + 3, 0), 6) / 6;
    case 'hardSigmoidKeras2':
      return Math.min(Math.max(0.2 * z + 0.5, 0), 1);
    case 'softsign':
      return z / (1 + Math.abs(z));
  }
}

export interface RefLayer {
  cell: 'simpleRNN' | 'lstm' | 'gru';
  units: number;
  activation?: Act;
  recurrentActivation?: Act;
  resetAfter?: boolean;
  goBackwards?: boolean;
  returnSequences?: boolean;
  zeroOutputForMask?: boolean;
  /** kernel [I, G·H], recurrentKernel [H, G·H], bias [G·H] or [2, 3H] flattened (absent: no bias). */
  kernel: Matrix;
  recurrentKernel: Matrix;
  bias?: number[];
}

/** a [n] · M [n, m] */
function vecMat(a: readonly number[], m: Matrix): number[] {
  const out = new Array<number>(m[0]!.length).fill(0);
  a.forEach((v, i) => m[i]!.forEach((w, j) => (out[j]! += v * w)));
  return out;
}

/** One sequence [T][I] → outputs (processing order, Keras masking) and final states. */
export function runLayer(layer: RefLayer, x: Matrix, opts: { mask?: number[]; h0?: number[]; c0?: number[] } = {}) {
  const h = layer.units;
  const a = layer.activation ?? 'tanh';
  const ra = layer.recurrentActivation ?? 'sigmoid';
  const steps = x.length;
  const order = [...Array(steps).keys()];
  if (layer.goBackwards) order.reverse();
  let hPrev = opts.h0 ?? new Array<number>(h).fill(0);
  let cPrev = opts.c0 ?? new Array<number>(h).fill(0);
  let lastOut = new Array<number>(h).fill(0);
  const outputs: Matrix = [];
  const g = layer.cell === 'lstm' ? 4 : layer.cell === 'gru' ? 3 : 1;
  const splitBias = layer.cell === 'gru' && (layer.resetAfter ?? true) && layer.bias !== undefined;
  const bIn = layer.bias === undefined ? new Array<number>(g * h).fill(0) : splitBias ? layer.bias.slice(0, 3 * h) : layer.bias;
  const bRec = splitBias ? layer.bias!.slice(3 * h) : new Array<number>(g * h).fill(0);
  for (const t of order) {
    const xw = vecMat(x[t]!, layer.kernel).map((v, j) => v + bIn[j]!);
    let hNew: number[];
    let cNew = cPrev;
    if (layer.cell === 'simpleRNN') {
      const hu = vecMat(hPrev, layer.recurrentKernel);
      hNew = xw.map((v, j) => act(v + hu[j]!, a));
    } else if (layer.cell === 'lstm') {
      const z = vecMat(hPrev, layer.recurrentKernel).map((v, j) => v + xw[j]!);
      cNew = [];
      hNew = [];
      for (let j = 0; j < h; j++) {
        const i = act(z[j]!, ra);
        const f = act(z[h + j]!, ra);
        const c = f * cPrev[j]! + i * act(z[2 * h + j]!, a);
        cNew.push(c);
        hNew.push(act(z[3 * h + j]!, ra) * act(c, a));
      }
    } else {
      hNew = [];
      if (layer.resetAfter ?? true) {
        const inner = vecMat(hPrev, layer.recurrentKernel).map((v, j) => v + bRec[j]!);
        for (let j = 0; j < h; j++) {
          const z = act(xw[j]! + inner[j]!, ra);
          const r = act(xw[h + j]! + inner[h + j]!, ra);
          const cand = act(xw[2 * h + j]! + r * inner[2 * h + j]!, a);
          hNew.push(z * hPrev[j]! + (1 - z) * cand);
        }
      } else {
        const u = layer.recurrentKernel;
        const zr = vecMat(hPrev, u.map((row) => row.slice(0, 2 * h)));
        const z = zr.slice(0, h).map((v, j) => act(xw[j]! + v, ra));
        const r = zr.slice(h).map((v, j) => act(xw[h + j]! + v, ra));
        const rh = vecMat(
          hPrev.map((v, j) => v * r[j]!),
          u.map((row) => row.slice(2 * h)),
        );
        for (let j = 0; j < h; j++) hNew.push(z[j]! * hPrev[j]! + (1 - z[j]!) * act(xw[2 * h + j]! + rh[j]!, a));
      }
    }
    const m = opts.mask === undefined ? 1 : opts.mask[t]!;
    if (m) {
      hPrev = hNew;
      cPrev = cNew;
      lastOut = hNew;
      outputs.push(hNew);
    } else {
      outputs.push(layer.zeroOutputForMask ? new Array<number>(h).fill(0) : lastOut);
    }
  }
  const states = layer.cell === 'lstm' ? [hPrev, cPrev] : [hPrev];
  return { outputs, last: outputs[steps - 1]!, states };
}

/** A batch [B][T][I] through one layer: [B][T][H] (returnSequences) or [B][H]. */
export function runLayerBatch(layer: RefLayer, x: Matrix[], mask?: number[][], initial?: Matrix[]) {
  const results = x.map((seq, b) =>
    runLayer(layer, seq, {
      ...(mask ? { mask: mask[b]! } : {}),
      ...(initial ? { h0: initial[0]![b]!, ...(initial[1] ? { c0: initial[1][b]! } : {}) } : {}),
    }),
  );
  return {
    output: layer.returnSequences ? results.map((r) => r.outputs) : results.map((r) => r.last),
    states: results[0]!.states.map((_, k) => results.map((r) => r.states[k]!)),
  };
}

/** Bidirectional: forward layer, then the backward layer (goBackwards flipped), merged. */
export function runBidirectional(
  fwd: RefLayer,
  bwd: RefLayer,
  mergeMode: 'concat' | 'sum' | 'mul' | 'ave',
  x: Matrix[],
  mask?: number[][],
) {
  const zero = fwd.returnSequences === true;
  const f = runLayerBatch({ ...fwd, zeroOutputForMask: zero }, x, mask).output as unknown[];
  let b = runLayerBatch({ ...bwd, goBackwards: !(fwd.goBackwards ?? false), zeroOutputForMask: zero }, x, mask).output as unknown[];
  if (zero) b = (b as Matrix[]).map((seq) => [...seq].reverse());
  const merge = (u: number[], v: number[]): number[] => {
    switch (mergeMode) {
      case 'concat':
        return [...u, ...v];
      case 'sum':
        return u.map((p, i) => p + v[i]!);
      case 'mul':
        return u.map((p, i) => p * v[i]!);
      case 'ave':
        return u.map((p, i) => (p + v[i]!) / 2);
    }
  };
  return zero
    ? (f as Matrix[]).map((seq, i) => seq.map((row, t) => merge(row, (b as Matrix[])[i]![t]!)))
    : (f as Matrix).map((row, i) => merge(row, (b as Matrix)[i]!));
}

/** Dense on the last axis. */
export function dense(x: unknown, kernel: Matrix, bias: number[] | undefined, activation: Act = 'linear'): unknown {
  if (Array.isArray(x) && typeof x[0] === 'number') {
    return vecMat(x as number[], kernel).map((v, j) => act(v + (bias?.[j] ?? 0), activation));
  }
  return (x as unknown[]).map((row) => dense(row, kernel, bias, activation));
}

/** The largest absolute difference between two nested arrays of the same shape. */
export function maxAbsDiff(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b);
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) throw new Error(`shape mismatch: ${JSON.stringify(a).slice(0, 80)} vs ${JSON.stringify(b).slice(0, 80)}`);
  return a.reduce((m: number, v, i) => Math.max(m, maxAbsDiff(v, b[i])), 0);
}

/** A seeded uniform matrix for test data. */
export function randomMatrix(rows: number, cols: number, seed: number, scale = 1): Matrix {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => (next() * 2 - 1) * scale));
}
