// Float64 plain-JS references for every recurrent cell, forward and BPTT, written from the Keras equations
// (keras/src/layers/rnn/{simple_rnn,lstm,gru}.py) independently of core: no tfjs, no core code, derivatives
// taken from pre-activations (core takes them from outputs), gate values cached per step (core recomputes
// them). The BPTT is itself checked against float64 finite differences (reference.test.ts).

/** The cells the references cover. */
export type RefCell = 'simpleRNN' | 'lstm' | 'gru';

/** Activations by the names core uses. */
export type RefActivation = 'tanh' | 'sigmoid' | 'relu' | 'linear' | 'hardSigmoid' | 'hardSigmoidKeras2' | 'softsign';

/** Sizes and options of one reference run. */
export interface CellRefConfig {
  cell: RefCell;
  batch: number;
  steps: number;
  inputSize: number;
  units: number;
  activation: RefActivation;
  recurrentActivation: RefActivation;
  goBackwards: boolean;
  /** GRU only */
  resetAfter: boolean;
}

/** Inputs as flat row-major float64 arrays (Keras layout). */
export interface CellRefInputs {
  /** [B, T, I] */
  x: Float64Array;
  /** [I, G·H] */
  kernel: Float64Array;
  /** [H, G·H] */
  recurrentKernel: Float64Array;
  /** [G·H], or [2, 3H] for GRU with resetAfter; absent = no bias */
  bias?: Float64Array;
  /** [B, H] */
  h0: Float64Array;
  /** [B, H] (LSTM) */
  c0?: Float64Array;
  /** [B, T], 0 = step skipped */
  mask?: Float64Array;
  /** [B, H] recurrent-dropout mask on h_{t−1} before ·U */
  recurrentDropoutMask?: Float64Array;
}

/** Forward results, processing order. */
export interface CellRefForward {
  /** [B, T, H] */
  h: Float64Array;
  /** [B, T, H] (LSTM) */
  c?: Float64Array;
}

/** Gradients with respect to every input, and the total gradient reaching each h_t. */
export interface CellRefGrads {
  dx: Float64Array;
  dKernel: Float64Array;
  dRecurrentKernel: Float64Array;
  /** the bias's shape ([2, 3H] for GRU with resetAfter) */
  dBias: Float64Array;
  dh0: Float64Array;
  dc0?: Float64Array;
  /** [B, T, H]: ∂loss/∂h_t in processing order */
  dHidden: Float64Array;
}

/** Number of gate blocks per cell. */
export function gateCount(cell: RefCell): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

/** The bias length: G·H, or 2·3H for GRU with resetAfter. */
export function biasLength(c: CellRefConfig): number {
  return (c.cell === 'gru' && c.resetAfter ? 2 : 1) * gateCount(c.cell) * c.units;
}

const sig = (z: number) => 1 / (1 + Math.exp(-z));

/** act(z). */
export function refActivate(name: RefActivation, z: number): number {
  switch (name) {
    case 'tanh':
      return Math.tanh(z);
    case 'sigmoid':
      return sig(z);
    case 'relu':
      return Math.max(0, z);
    case 'linear':
      return z;
    case 'hardSigmoid':
      return Math.min(6, Math.max(0, z + 3)) / 6; // Keras 3: relu6(x + 3) / 6
    case 'hardSigmoidKeras2':
      return Math.min(1, Math.max(0, 0.2 * z + 0.5)); // Keras 2 / tfjs-layers
    case 'softsign':
      return z / (1 + Math.abs(z));
  }
}

/** act'(z), from the pre-activation. */
export function refDerivative(name: RefActivation, z: number): number {
  switch (name) {
    case 'tanh':
      return 1 - Math.tanh(z) ** 2;
    case 'sigmoid':
      return sig(z) * (1 - sig(z));
    case 'relu':
      return z > 0 ? 1 : 0;
    case 'linear':
      return 1;
    case 'hardSigmoid':
      return z > -3 && z < 3 ? 1 / 6 : 0;
    case 'hardSigmoidKeras2':
      return z > -2.5 && z < 2.5 ? 0.2 : 0;
    case 'softsign':
      return 1 / (1 + Math.abs(z)) ** 2;
  }
}

/** Everything one step keeps for its backward: pre-activations, gate values, the states it started from. */
interface StepCache {
  xRow: number;
  hPrev: Float64Array;
  cPrev: Float64Array;
  /** h_{t−1}⊙d */
  hIn: Float64Array;
  /** pre-activations per gate block, [G·H] */
  pre: Float64Array;
  /** LSTM: the new cell value; GRU resetAfter: the recurrent product h·U_h + b'_h; GRU otherwise: r⊙h⊙d */
  extra: Float64Array;
  /** the unmasked new hidden state */
  hNew: Float64Array;
  m: number;
}

/** z[j] += Σ_k v[k]·M[k, col0 + j] for a row-major M with `cols` columns. */
function accumulate(z: Float64Array, zOffset: number, v: ArrayLike<number>, vOffset: number, rows: number, m: ArrayLike<number>, cols: number, col0: number, width: number): void {
  for (let k = 0; k < rows; k++) {
    const a = v[vOffset + k]!;
    if (a === 0) continue;
    for (let j = 0; j < width; j++) z[zOffset + j]! += a * m[k * cols + col0 + j]!;
  }
}

/** Runs one example's step: returns the cache, fills hNext/cNext (unmasked). */
function step(c: CellRefConfig, inp: CellRefInputs, n: number, t: number, hPrev: Float64Array, cPrev: Float64Array, m: number): StepCache {
  const H = c.units;
  const I = c.inputSize;
  const G = gateCount(c.cell);
  const GH = G * H;
  const xRow = (n * c.steps + t) * I;
  const d = inp.recurrentDropoutMask;
  const hIn = Float64Array.from(hPrev, (v, k) => (d ? v * d[n * H + k]! : v));
  const pre = new Float64Array(GH);
  const hNew = new Float64Array(H);
  let extra = new Float64Array(H);
  const b = inp.bias;
  const ra = (z: number) => refActivate(c.recurrentActivation, z);
  const act = (z: number) => refActivate(c.activation, z);
  // input part: x·W + input bias
  for (let j = 0; j < GH; j++) pre[j] = b ? b[j]! : 0;
  accumulate(pre, 0, inp.x, xRow, I, inp.kernel, GH, 0, GH);
  if (c.cell === 'simpleRNN') {
    accumulate(pre, 0, hIn, 0, H, inp.recurrentKernel, GH, 0, GH);
    for (let j = 0; j < H; j++) hNew[j] = act(pre[j]!);
  } else if (c.cell === 'lstm') {
    accumulate(pre, 0, hIn, 0, H, inp.recurrentKernel, GH, 0, GH);
    for (let j = 0; j < H; j++) {
      const i = ra(pre[j]!);
      const f = ra(pre[H + j]!);
      const g = act(pre[2 * H + j]!);
      const o = ra(pre[3 * H + j]!);
      extra[j] = f * cPrev[j]! + i * g;
      hNew[j] = o * act(extra[j]!);
    }
  } else if (c.resetAfter) {
    const inner = new Float64Array(GH);
    for (let j = 0; j < GH; j++) inner[j] = b ? b[GH + j]! : 0;
    accumulate(inner, 0, hIn, 0, H, inp.recurrentKernel, GH, 0, GH);
    for (let j = 0; j < 2 * H; j++) pre[j]! += inner[j]!;
    extra = inner.slice(2 * H);
    for (let j = 0; j < H; j++) pre[2 * H + j]! += ra(pre[H + j]!) * extra[j]!;
    for (let j = 0; j < H; j++) {
      const z = ra(pre[j]!);
      hNew[j] = z * hPrev[j]! + (1 - z) * act(pre[2 * H + j]!);
    }
  } else {
    accumulate(pre, 0, hIn, 0, H, inp.recurrentKernel, GH, 0, 2 * H);
    for (let j = 0; j < H; j++) extra[j] = ra(pre[H + j]!) * hIn[j]!;
    accumulate(pre, 2 * H, extra, 0, H, inp.recurrentKernel, GH, 2 * H, H);
    for (let j = 0; j < H; j++) {
      const z = ra(pre[j]!);
      hNew[j] = z * hPrev[j]! + (1 - z) * act(pre[2 * H + j]!);
    }
  }
  return { xRow, hPrev: hPrev.slice(), cPrev: cPrev.slice(), hIn, pre, extra, hNew, m };
}

/** Runs the forward pass and keeps every step's cache (per example, processing order). */
function run(c: CellRefConfig, inp: CellRefInputs): { out: CellRefForward; caches: StepCache[][] } {
  const { batch: B, steps: T, units: H } = c;
  const h = new Float64Array(B * T * H);
  const cs = new Float64Array(B * T * H);
  const caches: StepCache[][] = [];
  for (let n = 0; n < B; n++) {
    let hPrev = inp.h0.slice(n * H, (n + 1) * H);
    let cPrev = inp.c0 ? inp.c0.slice(n * H, (n + 1) * H) : new Float64Array(H);
    const list: StepCache[] = [];
    for (let s = 0; s < T; s++) {
      const t = c.goBackwards ? T - 1 - s : s;
      const m = inp.mask ? inp.mask[n * T + t]! : 1;
      const cache = step(c, inp, n, t, hPrev, cPrev, m);
      list.push(cache);
      const hNext = hPrev.map((v, j) => v + m * (cache.hNew[j]! - v));
      const cNext = c.cell === 'lstm' ? cPrev.map((v, j) => v + m * (cache.extra[j]! - v)) : cPrev;
      h.set(hNext, (n * T + s) * H);
      cs.set(cNext, (n * T + s) * H);
      hPrev = hNext;
      cPrev = cNext;
    }
    caches.push(list);
  }
  return { out: c.cell === 'lstm' ? { h, c: cs } : { h }, caches };
}

/** The forward pass: every hidden (and LSTM cell) state in processing order. */
export function cellReferenceForward(c: CellRefConfig, inp: CellRefInputs): CellRefForward {
  return run(c, inp).out;
}

/**
 * BPTT for the loss whose gradient with respect to the outputs is `dh` (and `dc` for LSTM), [B, T, H] each in
 * processing order.
 */
export function cellReferenceBackward(c: CellRefConfig, inp: CellRefInputs, dh: Float64Array, dc?: Float64Array): CellRefGrads {
  const { batch: B, steps: T, units: H, inputSize: I } = c;
  const G = gateCount(c.cell);
  const GH = G * H;
  const { caches } = run(c, inp);
  const W = inp.kernel;
  const U = inp.recurrentKernel;
  const dx = new Float64Array(B * T * I);
  const dW = new Float64Array(I * GH);
  const dU = new Float64Array(H * GH);
  const dB = new Float64Array(biasLength(c));
  const dh0 = new Float64Array(B * H);
  const dc0 = new Float64Array(B * H);
  const dHidden = new Float64Array(B * T * H);
  const ra = (z: number) => refActivate(c.recurrentActivation, z);
  const act = (z: number) => refActivate(c.activation, z);
  const raD = (z: number) => refDerivative(c.recurrentActivation, z);
  const actD = (z: number) => refDerivative(c.activation, z);
  const drop = inp.recurrentDropoutMask;
  for (let n = 0; n < B; n++) {
    let gH = new Float64Array(H); // carried into the step from later steps
    let gC = new Float64Array(H);
    for (let s = T - 1; s >= 0; s--) {
      const cache = caches[n]![s]!;
      const { m, pre, hIn, hPrev, cPrev, extra } = cache;
      const row = (n * T + s) * H;
      const gh = gH.map((v, j) => v + dh[row + j]!);
      const gc = gC.map((v, j) => v + (dc ? dc[row + j]! : 0));
      dHidden.set(gh, row);
      const ghNew = gh.map((v) => m * v);
      const gcNew = gc.map((v) => m * v);
      const nextH = gh.map((v) => (1 - m) * v); // the skipped share passes straight to h_{t−1}
      const nextC = gc.map((v) => (1 - m) * v);
      const dPre = new Float64Array(GH); // gradient of the input projection (x·W + b) per gate block
      const dRec = new Float64Array(GH); // gradient of the recurrent product's pre-activation (for U)
      const dHin = new Float64Array(H);
      if (c.cell === 'simpleRNN') {
        for (let j = 0; j < H; j++) dPre[j] = ghNew[j]! * actD(pre[j]!);
        dRec.set(dPre);
      } else if (c.cell === 'lstm') {
        for (let j = 0; j < H; j++) {
          const i = ra(pre[j]!);
          const f = ra(pre[H + j]!);
          const g = act(pre[2 * H + j]!);
          const o = ra(pre[3 * H + j]!);
          const cNew = extra[j]!;
          const dcTot = gcNew[j]! + ghNew[j]! * o * actD(cNew);
          dPre[j] = dcTot * g * raD(pre[j]!);
          dPre[H + j] = dcTot * cPrev[j]! * raD(pre[H + j]!);
          dPre[2 * H + j] = dcTot * i * actD(pre[2 * H + j]!);
          dPre[3 * H + j] = ghNew[j]! * act(cNew) * raD(pre[3 * H + j]!);
          nextC[j]! += dcTot * f;
        }
        dRec.set(dPre);
      } else {
        for (let j = 0; j < H; j++) {
          const z = ra(pre[j]!);
          const hh = act(pre[2 * H + j]!);
          dPre[j] = ghNew[j]! * (hPrev[j]! - hh) * raD(pre[j]!);
          dPre[2 * H + j] = ghNew[j]! * (1 - z) * actD(pre[2 * H + j]!);
          nextH[j]! += ghNew[j]! * z;
        }
        if (c.resetAfter) {
          for (let j = 0; j < H; j++) {
            const r = ra(pre[H + j]!);
            dPre[H + j] = dPre[2 * H + j]! * extra[j]! * raD(pre[H + j]!);
            dRec[j] = dPre[j]!;
            dRec[H + j] = dPre[H + j]!;
            dRec[2 * H + j] = dPre[2 * H + j]! * r;
          }
        } else {
          // d(r⊙h⊙d) = dâ·U_hᵀ; U_h's gradient uses r⊙h⊙d (cached in extra)
          const dResetH = new Float64Array(H);
          for (let k = 0; k < H; k++) {
            let acc = 0;
            for (let j = 0; j < H; j++) acc += dPre[2 * H + j]! * U[k * GH + 2 * H + j]!;
            dResetH[k] = acc;
            for (let j = 0; j < H; j++) dU[k * GH + 2 * H + j]! += extra[k]! * dPre[2 * H + j]!;
          }
          for (let j = 0; j < H; j++) {
            const r = ra(pre[H + j]!);
            dPre[H + j] = dResetH[j]! * hIn[j]! * raD(pre[H + j]!);
            dHin[j]! += dResetH[j]! * r;
          }
          dRec.set(dPre.subarray(0, 2 * H)); // only z and r pass through U_zr·(h⊙d)
        }
      }
      // Weight gradients and the gradient flowing to x and to h_{t−1}⊙d.
      const recCols = c.cell === 'gru' && !c.resetAfter ? 2 * H : GH;
      for (let i = 0; i < I; i++) {
        const xv = inp.x[cache.xRow + i]!;
        let acc = 0;
        for (let j = 0; j < GH; j++) {
          dW[i * GH + j]! += xv * dPre[j]!;
          acc += W[i * GH + j]! * dPre[j]!;
        }
        dx[cache.xRow + i] = acc;
      }
      for (let k = 0; k < H; k++) {
        let acc = 0;
        for (let j = 0; j < recCols; j++) {
          dU[k * GH + j]! += hIn[k]! * dRec[j]!;
          acc += U[k * GH + j]! * dRec[j]!;
        }
        dHin[k]! += acc;
      }
      if (inp.bias) {
        for (let j = 0; j < GH; j++) dB[j]! += dPre[j]!;
        if (c.cell === 'gru' && c.resetAfter) for (let j = 0; j < GH; j++) dB[GH + j]! += dRec[j]!;
      }
      for (let k = 0; k < H; k++) nextH[k]! += dHin[k]! * (drop ? drop[n * H + k]! : 1);
      gH = nextH;
      gC = nextC;
    }
    dh0.set(gH, n * H);
    dc0.set(gC, n * H);
  }
  const grads: CellRefGrads = { dx, dKernel: dW, dRecurrentKernel: dU, dBias: dB, dh0, dHidden };
  if (c.cell === 'lstm') grads.dc0 = dc0;
  return grads;
}
