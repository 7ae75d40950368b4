/**
 * Tolerances of the op-level cell suite (cellParityTests) against the float64 references, per backend. A value
 * passes when |actual − expected| ≤ atol + rtol·|expected|. Kept here until they are folded into
 * tolerances.ts. Measured worst |diff| over every case, cell and path (composite, and fused where registered)
 * is recorded in each reason; each tolerance leaves about 10× over it.
 */
export interface CellTolerance {
  forward: { atol: number; rtol: number };
  gradient: { atol: number; rtol: number };
  /** Why, and what was measured. */
  reason: string;
}

export const CELL_TOLERANCES: Record<string, CellTolerance> = {
  cpu: {
    forward: { atol: 1e-6, rtol: 1e-5 },
    gradient: { atol: 1e-5, rtol: 1e-4 },
    reason:
      'float32 tfjs ops (composite) or float64-accumulating loops (fused). Measured in Node: forward ≤ 1.2e-7 ' +
      '(LSTM composite), gradients ≤ 1.2e-6 (LSTM composite dBias, a sum over B·T steps); fused ≤ 4.4e-8 / 3.3e-7.',
  },
  wasm: {
    forward: { atol: 1e-6, rtol: 1e-5 },
    gradient: { atol: 2e-5, rtol: 1e-4 },
    reason:
      'float32 XNNPACK matmuls (composite) and the AssemblyScript SIMD GEMMs (fused LSTM/GRU), each with its own ' +
      'summation order. Measured in Node and Chromium: composite forward ≤ 1.6e-7 (LSTM c), gradients ≤ 2.3e-6 (LSTM dBias); ' +
      'fused forward ≤ 1.25e-7 (GRU h), gradients ≤ 3.1e-6 (LSTM dBias).',
  },
  webgl: {
    forward: { atol: 1e-5, rtol: 1e-4 },
    gradient: { atol: 1e-4, rtol: 1e-3 },
    reason:
      'GLSL tanh/exp and packed matmuls; measured on SwiftShader: composite forward ≤ 4.2e-7, gradients ≤ 3.1e-6 ' +
      '(LSTM dBias); fused LSTM/GRU kernels (backend-webgl) forward ≤ 3.6e-7 (LSTM c), gradients ≤ 2.3e-6 (LSTM dBias), ' +
      'so they share these tolerances. Hardware GPUs approximate exp/tanh more loosely than SwiftShader, hence 30× over that.',
  },
};

/** The cell tolerance of a backend; throws for a backend without one. */
export function cellToleranceFor(backend: string): CellTolerance {
  const t = CELL_TOLERANCES[backend];
  if (!t) throw new Error(`no cell tolerance is defined for backend '${backend}'`);
  return t;
}
