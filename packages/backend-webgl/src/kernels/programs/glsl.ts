// GLSL snippets shared by the recurrence programs. Every program here works on tfjs's packed layout: one RGBA
// texel holds a 2×2 block of the last two dimensions, (r, c), (r, c+1), (r+1, c), (r+1, c+1) in x, y, z, w.
// A [B, T, H] tensor therefore keeps two timesteps of one batch row in a texel; a [B, H] tensor, or a time-major
// [T, B, H] one, keeps two batch rows of one step, the block a recurrence step updates. The snippets avoid bitwise operators and dynamic vector indexing so they also compile as GLSL ES 1.0
// (tfjs falls back to WebGL1 where WebGL2 is missing).
import type { Activation } from '@basicrnn/core';

/** Picks one row (0: x,y or 1: z,w) or one element of a packed texel. */
export const PACKED_HELPERS = `
  vec2 rowOf(vec4 texel, int row) {
    return row == 0 ? texel.xy : texel.zw;
  }
  float elementOf(vec4 texel, int row, int col) {
    vec2 pair = rowOf(texel, row);
    return col == 0 ? pair.x : pair.y;
  }
`;

/**
 * `activate(z)` for vec2 and vec4. tanh is written out the way tfjs writes it: GLSL's builtin tanh overflows to
 * NaN for large |z| on some drivers.
 */
export function activationGlsl(activation: Activation): string {
  return overloads((T) => {
    const body = {
      tanh: `${T} e = exp(-2.0 * abs(z)); return sign(z) * (1.0 - e) / (1.0 + e);`,
      relu: `return max(z, ${T}(0.0));`,
      sigmoid: 'return 1.0 / (1.0 + exp(-z));',
      linear: 'return z;',
    }[activation];
    return `${T} activate(${T} z) { ${body} }`;
  });
}

/**
 * `slopeFromOutput(h)` for vec2 and vec4: act'(z) written through h = act(z), so the backward pass needs only
 * the saved hidden states (the same identities core's composite uses).
 */
export function activationSlopeGlsl(activation: Activation): string {
  return overloads((T) => {
    const body = {
      tanh: 'return 1.0 - h * h;',
      relu: `return ${T}(greaterThan(h, ${T}(0.0)));`,
      sigmoid: 'return h * (1.0 - h);',
      linear: `return ${T}(1.0);`,
    }[activation];
    return `${T} slopeFromOutput(${T} h) { ${body} }`;
  });
}

function overloads(make: (type: 'vec2' | 'vec4') => string): string {
  return `${make('vec2')}\n${make('vec4')}`;
}

/**
 * `float maskAt(int b, int s)`: the mask of batch row `b` at PROCESSING step `s`. The mask tensor is [B, T] in
 * original time order, so with goBackwards step s reads column T-1-s. Without a mask input every step counts.
 */
export function maskGlsl(hasMask: boolean, steps: number, goBackwards: boolean): string {
  if (!hasMask) return 'float maskAt(int b, int s) { return 1.0; }';
  const column = goBackwards ? `${steps - 1} - s` : 's';
  return `
    float maskAt(int b, int s) {
      int t = ${column};
      return elementOf(getMask(b, t), imod(b, 2), imod(t, 2));
    }
  `;
}

/**
 * A loop over a contracted dimension of `size` in pairs (one texel column each), then the odd last element on
 * its own. The tail never multiplies the padding half of a texel: padding is not guaranteed to be finite in
 * textures other programs wrote, and 0 · NaN is NaN.
 */
export function pairLoop(size: number, index: string, body: (tail: boolean) => string): string {
  const full = size - (size % 2);
  const loop = full > 0 ? `for (int ${index} = 0; ${index} < ${full}; ${index} += 2) { ${body(false)} }` : '';
  const tail = size % 2 === 1 ? `{ int ${index} = ${size - 1}; ${body(true)} }` : '';
  return `${loop}\n${tail}`;
}

/** Input names of the per-step tensors a flush program gathers ({@link pendingGlsl}). */
export function pendingNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `pending${i}`);
}

/**
 * `vec4 pendingTexel(int i, int b, int n)`: texel (b, n) of the i-th pending [B, H] step tensor. GLSL cannot
 * index samplers with a variable, hence the chain of comparisons.
 */
export function pendingGlsl(count: number): string {
  const cases = pendingNames(count)
    .map((name, i) => `if (i == ${i}) return get${name.charAt(0).toUpperCase()}${name.slice(1)}(b, n);`)
    .join('\n        ');
  return `
    vec4 pendingTexel(int i, int b, int n) {
      ${cases}
      return vec4(0.0);
    }
  `;
}

/** Every activation a gated cell may name (core's RecurrentActivationName). */
export type GatedActivation = 'tanh' | 'sigmoid' | 'relu' | 'linear' | 'hardSigmoid' | 'hardSigmoidKeras2' | 'softsign';

const GATED_ACTIVATIONS: Record<GatedActivation, { value: string; slope: string }> = {
  // tanh written out as tfjs does (the builtin overflows to NaN for large |z| on some drivers).
  tanh: { value: 'vec4 e = exp(-2.0 * abs(z)); return sign(z) * (1.0 - e) / (1.0 + e);', slope: 'return 1.0 - a * a;' },
  sigmoid: { value: 'return 1.0 / (1.0 + exp(-z));', slope: 'return a * (1.0 - a);' },
  relu: { value: 'return max(z, vec4(0.0));', slope: 'return vec4(greaterThan(a, vec4(0.0)));' },
  linear: { value: 'return z;', slope: 'return vec4(1.0);' },
  // Keras 3: relu6(z + 3) / 6; Keras 2 / tfjs-layers: clip(0.2z + 0.5, 0, 1). Slopes are 0 where they saturate.
  hardSigmoid: {
    value: 'return clamp(z / 6.0 + 0.5, 0.0, 1.0);',
    slope: 'return vec4(greaterThan(a, vec4(0.0))) * vec4(lessThan(a, vec4(1.0))) / 6.0;',
  },
  hardSigmoidKeras2: {
    value: 'return clamp(0.2 * z + 0.5, 0.0, 1.0);',
    slope: 'return vec4(greaterThan(a, vec4(0.0))) * vec4(lessThan(a, vec4(1.0))) * 0.2;',
  },
  softsign: { value: 'return z / (1.0 + abs(z));', slope: 'vec4 d = 1.0 - abs(a); return d * d;' },
};

/**
 * `vec4 name(vec4 z)` and `vec4 nameSlope(vec4 a)` (the slope written through the output a = name(z)) for one
 * of a gated cell's activations. Throws for a name core does not define.
 */
export function gatedActivationGlsl(activation: string, name: string): string {
  const spec = GATED_ACTIVATIONS[activation as GatedActivation];
  if (spec === undefined) throw new Error(`webgl gated kernels: unknown activation ${JSON.stringify(activation)}`);
  return `
    vec4 ${name}(vec4 z) { ${spec.value} }
    vec4 ${name}Slope(vec4 a) { ${spec.slope} }
  `;
}

/**
 * `vec4 maskSelect(vec4 m, vec4 kept, vec4 next)`: the state after a step with mask m, per component: `kept`
 * exactly where m is 0 (a select, not a blend: a NaN or Inf computed in a masked step must not leak into the
 * carried state, and 0·NaN is NaN), `next` where m is 1, and the blend kept + m·(next − kept) for fractional
 * masks (the cpu kernels' rule). Written without bvec mix so it compiles as GLSL ES 1.0.
 */
export const MASK_SELECT_GLSL = `
  float maskSelect1(float m, float kept, float next) {
    if (m == 0.0) return kept;
    if (m == 1.0) return next;
    return kept + m * (next - kept);
  }
  vec4 maskSelect(vec4 m, vec4 kept, vec4 next) {
    return vec4(maskSelect1(m.x, kept.x, next.x), maskSelect1(m.y, kept.y, next.y),
                maskSelect1(m.z, kept.z, next.z), maskSelect1(m.w, kept.w, next.w));
  }
  // Zero where m is 0, v elsewhere (never 0·v: v may be NaN in a masked step).
  vec4 maskZero(vec4 m, vec4 v) {
    return vec4(m.x == 0.0 ? 0.0 : v.x, m.y == 0.0 ? 0.0 : v.y, m.z == 0.0 ? 0.0 : v.z, m.w == 0.0 ? 0.0 : v.w);
  }
`;
