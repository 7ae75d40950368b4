/**
 * Float64 plain-JS reference of the BasicRNN equations, independent of tfjs:
 *   h_t = act(x_t·W + h_{t-1}·U + b), output = head(h_T) or head(h_t) for every t.
 * Arrays are flat, row-major.
 */
export type RefActivation = 'tanh' | 'relu' | 'sigmoid' | 'linear';
export type RefHead = 'linear' | 'sigmoid' | 'softmax';

export interface RefConfig {
  batch: number;
  steps: number;
  inputSize: number;
  hidden: number;
  outputSize: number;
  activation: RefActivation;
  outputActivation?: RefHead;
  returnSequences: boolean;
  goBackwards?: boolean;
}

export interface RefWeights {
  kernel: ArrayLike<number>; // [I,H]
  recurrentKernel: ArrayLike<number>; // [H,H]
  bias?: ArrayLike<number>; // [H]
  denseKernel: ArrayLike<number>; // [H,O]
  denseBias?: ArrayLike<number>; // [O]
}

export interface RefInputs {
  x: ArrayLike<number>; // [B,T,I]
  h0?: ArrayLike<number>; // [B,H]
  mask?: ArrayLike<number>; // [B,T]
}

export interface RefForward {
  hidden: Float64Array; // [B,T,H] in processing order
  state: Float64Array; // [B,H]
  output: Float64Array; // [B,O] or [B,T,O]
}

function act(z: number, a: RefActivation): number {
  switch (a) {
    case 'tanh':
      return Math.tanh(z);
    case 'relu':
      return z > 0 ? z : 0;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-z));
    case 'linear':
      return z;
  }
}

function actGradFromOutput(y: number, a: RefActivation): number {
  switch (a) {
    case 'tanh':
      return 1 - y * y;
    case 'relu':
      return y > 0 ? 1 : 0;
    case 'sigmoid':
      return y * (1 - y);
    case 'linear':
      return 1;
  }
}

/** Forward pass in float64. */
export function referenceForward(c: RefConfig, w: RefWeights, inp: RefInputs): RefForward {
  const { batch: B, steps: T, inputSize: I, hidden: H, outputSize: O } = c;
  const hidden = new Float64Array(B * T * H);
  const state = new Float64Array(B * H);
  const h = new Float64Array(H);
  const z = new Float64Array(H);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) h[j] = inp.h0 ? inp.h0[b * H + j]! : 0;
    for (let s = 0; s < T; s++) {
      const t = c.goBackwards ? T - 1 - s : s;
      const m = inp.mask ? inp.mask[b * T + t]! : 1;
      for (let j = 0; j < H; j++) {
        let acc = w.bias ? w.bias[j]! : 0;
        for (let i = 0; i < I; i++) acc += inp.x[(b * T + t) * I + i]! * w.kernel[i * H + j]!;
        for (let k = 0; k < H; k++) acc += h[k]! * w.recurrentKernel[k * H + j]!;
        z[j] = acc;
      }
      if (m !== 0) for (let j = 0; j < H; j++) h[j] = act(z[j]!, c.activation);
      hidden.set(h, (b * T + s) * H);
    }
    state.set(h, b * H);
  }
  const rows = c.returnSequences ? B * T : B;
  const source = c.returnSequences ? hidden : state;
  const output = new Float64Array(rows * O);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < O; o++) {
      let acc = w.denseBias ? w.denseBias[o]! : 0;
      for (let k = 0; k < H; k++) acc += source[r * H + k]! * w.denseKernel[k * O + o]!;
      output[r * O + o] = acc;
    }
    applyHead(output.subarray(r * O, (r + 1) * O), c.outputActivation ?? 'linear');
  }
  return { hidden, state, output };
}

function applyHead(row: Float64Array, head: RefHead): void {
  if (head === 'sigmoid') for (let i = 0; i < row.length; i++) row[i] = 1 / (1 + Math.exp(-row[i]!));
  if (head === 'softmax') {
    const max = Math.max(...row);
    let sum = 0;
    for (let i = 0; i < row.length; i++) sum += row[i] = Math.exp(row[i]! - max);
    for (let i = 0; i < row.length; i++) row[i]! /= sum;
  }
}

export interface RefGrads {
  kernel: Float64Array;
  recurrentKernel: Float64Array;
  bias: Float64Array;
  denseKernel: Float64Array;
  denseBias: Float64Array;
  x: Float64Array;
  h0: Float64Array;
}

/**
 * Gradients of L = Σ output ⊙ upstream (linear head) by backpropagation through time in float64.
 */
export function referenceBackward(c: RefConfig, w: RefWeights, inp: RefInputs, upstream: ArrayLike<number>): RefGrads {
  if ((c.outputActivation ?? 'linear') !== 'linear') throw new Error('referenceBackward supports the linear head only');
  const { batch: B, steps: T, inputSize: I, hidden: H, outputSize: O } = c;
  const fwd = referenceForward(c, w, inp);
  const g: RefGrads = {
    kernel: new Float64Array(I * H),
    recurrentKernel: new Float64Array(H * H),
    bias: new Float64Array(H),
    denseKernel: new Float64Array(H * O),
    denseBias: new Float64Array(O),
    x: new Float64Array(B * T * I),
    h0: new Float64Array(B * H),
  };
  // dL/dh for each processing step, from the head.
  const dh = new Float64Array(B * T * H);
  const rows = c.returnSequences ? B * T : B;
  for (let r = 0; r < rows; r++) {
    const src = c.returnSequences ? fwd.hidden.subarray(r * H, (r + 1) * H) : fwd.state.subarray(r * H, (r + 1) * H);
    const target = c.returnSequences ? r * H : (r * T + T - 1) * H;
    for (let o = 0; o < O; o++) {
      const up = upstream[r * O + o]!;
      g.denseBias[o]! += up;
      for (let k = 0; k < H; k++) {
        g.denseKernel[k * O + o]! += src[k]! * up;
        dh[target + k]! += w.denseKernel[k * O + o]! * up;
      }
    }
  }
  const carry = new Float64Array(H);
  const dz = new Float64Array(H);
  for (let b = 0; b < B; b++) {
    carry.fill(0);
    for (let s = T - 1; s >= 0; s--) {
      const t = c.goBackwards ? T - 1 - s : s;
      const m = inp.mask ? inp.mask[b * T + t]! : 1;
      const hPrev = (k: number) => (s === 0 ? (inp.h0 ? inp.h0[b * H + k]! : 0) : fwd.hidden[(b * T + s - 1) * H + k]!);
      const next = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const gj = dh[(b * T + s) * H + j]! + carry[j]!;
        dz[j] = m !== 0 ? gj * actGradFromOutput(fwd.hidden[(b * T + s) * H + j]!, c.activation) : 0;
        if (m === 0) next[j] = gj;
      }
      for (let j = 0; j < H; j++) {
        const d = dz[j]!;
        if (d === 0) continue;
        g.bias[j]! += d;
        for (let i = 0; i < I; i++) {
          g.kernel[i * H + j]! += inp.x[(b * T + t) * I + i]! * d;
          g.x[(b * T + t) * I + i]! += w.kernel[i * H + j]! * d;
        }
        for (let k = 0; k < H; k++) {
          g.recurrentKernel[k * H + j]! += hPrev(k) * d;
          next[k]! += w.recurrentKernel[k * H + j]! * d;
        }
      }
      carry.set(next);
    }
    g.h0.set(carry, b * H);
  }
  return g;
}
