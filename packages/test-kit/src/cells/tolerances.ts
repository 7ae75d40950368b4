/**
 * Tolerances of the op-level cell suite (cellParityTests) against the float64 references, per backend. A value
 * passes when |actual − expected| ≤ atol + rtol·|expected|. Kept here until they are folded into
 * tolerances.ts; the measured worst cases (cells × cases × paths) are recorded beside each.
 */
export interface CellTolerance {
  forward: { atol: number; rtol: number };
  gradient: { atol: number; rtol: number };
  /** Why, and what was measured. */
  reason: string;
}

export const CELL_TOLERANCES: Record<string, CellTolerance> = {
  cpu: {
    forward: { atol: 1e-5, rtol: 1e-4 },
    gradient: { atol: 5e-5, rtol: 5e-4 },
    reason: 'float32 tfjs ops (composite) or float64-accumulating loops (fused); measured worst: see report',
  },
  wasm: {
    forward: { atol: 1e-5, rtol: 1e-4 },
    gradient: { atol: 5e-5, rtol: 5e-4 },
    reason: 'float32 XNNPACK matmuls with a different summation order; composite only here',
  },
  webgl: {
    forward: { atol: 2e-4, rtol: 2e-3 },
    gradient: { atol: 1e-3, rtol: 1e-2 },
    reason: 'GLSL tanh/exp approximations (SwiftShader) and packed matmuls; composite only here',
  },
};

/** The cell tolerance of a backend; throws for a backend without one. */
export function cellToleranceFor(backend: string): CellTolerance {
  const t = CELL_TOLERANCES[backend];
  if (!t) throw new Error(`no cell tolerance is defined for backend '${backend}'`);
  return t;
}
