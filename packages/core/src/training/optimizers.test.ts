// Every optimizer `compile` can name, step by step against a float64 plain-JS transcription of Keras 3's update
// rule with Keras's defaults (learning rate, betas, rho, momentum, initial accumulator; epsilon 1e-7 as core pins
// it). The same gradient sequence feeds both; each step's update is compared, so a changed constant (Adam's beta2
// 0.999 → 0.99, say) shows at the step where it first matters instead of being averaged into a trajectory.
// Core and tfjs-core only: no @tensorflow/tfjs in this process.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '../register.js';
import { ConfigError } from '../errors.js';
import { AdamUpdate, type AdamUpdateAttrs, adamUpdateInputNames, DEFAULT_LEARNING_RATES, OPTIMIZER_EPSILON, OPTIMIZER_NAMES, type OptimizerName, createOptimizer } from './optimizers.js';

/** A float64 optimizer: `update(g)` returns the change Keras applies to the variable for gradient `g`. */
interface Reference {
  update(g: number[]): number[];
}

/** Keras 3 defaults, written out here (not read from core) so that a changed default in core fails. */
const KERAS_LR: Record<OptimizerName, number> = {
  sgd: 0.01,
  momentum: 0.01,
  adam: 0.001,
  adamax: 0.001,
  rmsprop: 0.001,
  adagrad: 0.001,
  adadelta: 0.001,
};
const EPS = 1e-7;

/** keras.optimizers.* update rules (keras/src/optimizers/*.py), float64, one state array per moment. */
function reference(name: OptimizerName, n: number, lr = KERAS_LR[name]): Reference {
  const zeros = (): number[] => new Array<number>(n).fill(0);
  switch (name) {
    case 'sgd':
      return { update: (g) => g.map((gi) => -lr * gi) };
    case 'momentum': {
      // SGD(momentum=0.9, nesterov=False): m = momentum·m − lr·g; var += m.
      const m = zeros();
      return { update: (g) => g.map((gi, i) => (m[i] = 0.9 * m[i]! - lr * gi)) };
    }
    case 'adam': {
      // Adam(beta_1=0.9, beta_2=0.999, epsilon=1e-7): alpha = lr·√(1−β2^t)/(1−β1^t); var −= alpha·m/(√v + ε).
      const [b1, b2] = [0.9, 0.999];
      const m = zeros();
      const v = zeros();
      let t = 0;
      return {
        update: (g) => {
          t++;
          const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
          return g.map((gi, i) => {
            m[i] = m[i]! + (gi - m[i]!) * (1 - b1);
            v[i] = v[i]! + (gi * gi - v[i]!) * (1 - b2);
            return (-alpha * m[i]!) / (Math.sqrt(v[i]!) + EPS);
          });
        },
      };
    }
    case 'adamax': {
      // Adamax(beta_1=0.9, beta_2=0.999, epsilon=1e-7): u = max(β2·u, |g|); var −= lr/(1−β1^t)·m/(u + ε).
      const [b1, b2] = [0.9, 0.999];
      const m = zeros();
      const u = zeros();
      let t = 0;
      return {
        update: (g) => {
          t++;
          return g.map((gi, i) => {
            m[i] = m[i]! + (gi - m[i]!) * (1 - b1);
            u[i] = Math.max(b2 * u[i]!, Math.abs(gi));
            return ((-lr / (1 - b1 ** t)) * m[i]!) / (u[i]! + EPS);
          });
        },
      };
    }
    case 'rmsprop': {
      // RMSprop(rho=0.9, momentum=0, epsilon=1e-7, centered=False): v = ρ·v + (1−ρ)·g²; var −= lr·g/√(v + ε).
      const v = zeros();
      return {
        update: (g) =>
          g.map((gi, i) => {
            v[i] = 0.9 * v[i]! + 0.1 * gi * gi;
            return (-lr * gi) / Math.sqrt(v[i]! + EPS);
          }),
      };
    }
    case 'adagrad': {
      // Adagrad(initial_accumulator_value=0.1, epsilon=1e-7): a += g²; var −= lr·g/√(a + ε).
      const a = new Array<number>(n).fill(0.1);
      return {
        update: (g) =>
          g.map((gi, i) => {
            a[i] = a[i]! + gi * gi;
            return (-lr * gi) / Math.sqrt(a[i]! + EPS);
          }),
      };
    }
    case 'adadelta': {
      // Adadelta(rho=0.95, epsilon=1e-7): ag = ρ·ag + (1−ρ)·g²; d = −√(ad + ε)/√(ag + ε)·g; ad = ρ·ad + (1−ρ)·d²;
      // var += lr·d.
      const ag = zeros();
      const ad = zeros();
      return {
        update: (g) =>
          g.map((gi, i) => {
            ag[i] = 0.95 * ag[i]! + 0.05 * gi * gi;
            const d = (-Math.sqrt(ad[i]! + EPS) / Math.sqrt(ag[i]! + EPS)) * gi;
            ad[i] = 0.95 * ad[i]! + 0.05 * d * d;
            return lr * d;
          }),
      };
    }
  }
}

/**
 * Gradients for 8 steps of a 4-element variable: signs and magnitudes change from step to step (so second
 * moments, maxima and accumulators all matter), all float32-exact, none under 0.25 in magnitude (Keras's ε
 * placement in Adam moves an update by ε/(√(1−β2^t)·|g|) of itself, so tiny gradients would need a looser bound).
 */
const GRADIENTS: number[][] = [
  [1, -0.5, 2, 0.25],
  [-3, 0.75, 0.5, 1],
  [0.5, -2, 4, -0.25],
  [2, 1.5, -1, 0.5],
  [-0.25, -1, 0.75, 3],
  [1.25, 0.5, -2.5, -1.5],
  [-1, 2.5, 0.25, 0.75],
  [0.75, -0.25, 1, -2],
];

/** Float64 update of each step, and the update tfjs applied, for one optimizer fed `GRADIENTS`. */
async function run(optimizer: tf.Optimizer, ref: Reference): Promise<{ got: number[][]; want: number[][] }> {
  const w = tf.tidy(() => tf.variable(tf.zeros([4]), true, `w_${Math.random().toString(36).slice(2)}`));
  const got: number[][] = [];
  const want: number[][] = [];
  for (const g of GRADIENTS) {
    const before = Array.from(await w.data());
    const grad = tf.tensor1d(g);
    optimizer.applyGradients({ [w.name]: grad });
    grad.dispose();
    const after = Array.from(await w.data());
    got.push(after.map((a, i) => a - before[i]!));
    want.push(ref.update(g));
  }
  w.dispose();
  optimizer.dispose();
  return { got, want };
}

/** Largest |got − want| / (|want| + floor) over every step and element. */
function worstRelative(got: number[][], want: number[][], floor: number): number {
  let worst = 0;
  got.forEach((row, s) => row.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want[s]![i]!) / (Math.abs(want[s]![i]!) + floor)))));
  return worst;
}

// Measured on the cpu backend (worst over 8 steps × 4 elements, relative): sgd 5.4e-7, momentum 1.5e-6, adam 1.3e-5,
// adamax 7.8e-6, rmsprop 4.5e-7, adagrad 1.1e-6, adadelta 2.5e-7. Adam's is Keras's ε placement (Keras adds ε to √v
// before bias correction, tfjs after: 1e-7/√(1−0.999) against |g| = 0.25 at step 1); the rest is float32 rounding.
// The bugs this must catch are far above it: Adam with β2 = 0.99 is off by 7.4e-3, Adagrad with initial
// accumulator 0 by 0.61, tfjs's own Adadelta (previous-step mean, see optimizers.ts) by 2.2e3.
const TOLERANCE = 5e-5;

describe('named optimizers follow Keras update rules step by step (float64 reference)', () => {
  it.each(OPTIMIZER_NAMES.map((name) => [name]))('%s with Keras defaults', async (name) => {
    const before = tf.memory().numTensors;
    const { got, want } = await run(createOptimizer(name), reference(name, 4));
    const floor = 1e-9;
    expect(worstRelative(got, want, floor)).toBeLessThan(TOLERANCE);
    // Every step moves every element (no zero update passing as a match).
    for (const row of want) for (const v of row) expect(Math.abs(v)).toBeGreaterThan(1e-7);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(OPTIMIZER_NAMES.map((name) => [name]))('%s with a given learning rate scales it in', async (name) => {
    const lr = 0.05;
    const { got, want } = await run(createOptimizer(name, lr), reference(name, 4, lr));
    expect(worstRelative(got, want, 1e-9)).toBeLessThan(TOLERANCE);
  });

  it('the reference tells the defaults apart: a β2 of 0.99 in Adam is far outside the tolerance', async () => {
    const { got, want } = await run(tf.train.adam(0.001, 0.9, 0.99, OPTIMIZER_EPSILON), reference('adam', 4));
    expect(worstRelative(got, want, 1e-9)).toBeGreaterThan(100 * TOLERANCE);
  });

  it('default learning rates and epsilon are Keras\'s', () => {
    expect(DEFAULT_LEARNING_RATES).toEqual(KERAS_LR);
    expect(OPTIMIZER_EPSILON).toBe(EPS);
  });

  it.each([0, -0.1, Number.NaN, Number.POSITIVE_INFINITY, '0.1' as unknown as number])(
    'a learning rate of %s is refused with a ConfigError naming learningRate',
    (lr) => {
      const before = tf.memory().numTensors;
      expect(() => createOptimizer('adam', lr)).toThrow(ConfigError);
      expect(() => createOptimizer('sgd', lr)).toThrow(/learningRate/);
      expect(tf.memory().numTensors).toBe(before);
    },
  );
});

describe('adadelta state (core applies Keras\'s rule itself, see optimizers.ts)', () => {
  it('getWeights / setWeights carry the accumulators of each variable: a restored optimizer takes the same next step', async () => {
    const before = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.zeros([4]), true, 'adadelta_state_w'));
    const u = tf.tidy(() => tf.variable(tf.zeros([4]), true, 'adadelta_state_u'));
    const grads = (g: number[]) => ({ [w.name]: tf.tensor1d(g), [u.name]: tf.tensor1d(g.map((v) => -3 * v)) });
    const a = createOptimizer('adadelta', 0.5);
    for (const g of GRADIENTS.slice(0, 3)) tf.tidy(() => a.applyGradients(grads(g)));
    const saved = await a.getWeights();
    expect(saved.map((s) => s.name)).toEqual([
      'iter',
      `${w.name}/accum_grad`,
      `${u.name}/accum_grad`,
      `${w.name}/accum_var`,
      `${u.name}/accum_var`,
    ]);
    const b = createOptimizer('adadelta', 0.5);
    await b.setWeights(saved);
    const start = tf.tidy(() => [tf.clone(w), tf.clone(u)]);
    const next = GRADIENTS[3]!;
    tf.tidy(() => a.applyGradients(grads(next)));
    const afterA = [Array.from(await w.data()), Array.from(await u.data())];
    w.assign(start[0]!);
    u.assign(start[1]!);
    tf.tidy(() => b.applyGradients(grads(next)));
    expect([Array.from(await w.data()), Array.from(await u.data())]).toEqual(afterA);
    expect(b.iterations).toBe(a.iterations);
    tf.dispose([saved[0]!.tensor, ...start, w, u]);
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('takes gradients as a { name, tensor } list too, and skips a variable without a gradient', async () => {
    const before = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.zeros([4]), true, 'adadelta_list_w'));
    const v = tf.tidy(() => tf.variable(tf.ones([2]), true, 'adadelta_list_v'));
    const opt = createOptimizer('adadelta');
    const ref = reference('adadelta', 4);
    for (const g of GRADIENTS.slice(0, 3)) {
      const start = Array.from(await w.data());
      tf.tidy(() => opt.applyGradients([{ name: w.name, tensor: tf.tensor1d(g) }]));
      const after = Array.from(await w.data());
      const want = ref.update(g);
      after.forEach((a, i) => expect(Math.abs(a - start[i]! - want[i]!)).toBeLessThan(TOLERANCE * Math.abs(want[i]!)));
    }
    tf.tidy(() => opt.applyGradients({ [v.name]: null as unknown as tf.Tensor }));
    expect(Array.from(await v.data())).toEqual([1, 1]);
    expect(opt.iterations).toBe(4);
    opt.dispose();
    tf.dispose([w, v]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/**
 * A plain-JS AdamUpdate kernel for the cpu backend (the formula of optimizers.ts, each operation rounded to
 * float32 as tfjs's ops are; both input forms), so that named Adam's fused path runs here; `calls` counts its
 * calls and `weights` the weights they updated.
 */
function registerCpuAdamUpdate(): { calls: number; weights: number; unregister: () => void } {
  const state = { calls: 0, weights: 0, unregister: () => tf.unregisterKernel(AdamUpdate, 'cpu') };
  tf.registerKernel({
    kernelName: AdamUpdate,
    backendName: 'cpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      state.calls++;
      const cpu = backend as unknown as { data: { get(id: object): { values: Float32Array } }; makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };
      const given = inputs as Record<string, tf.TensorInfo>;
      const read = (name: string) => cpu.data.get(given[name]!.dataId).values;
      const a = attrs as unknown as AdamUpdateAttrs;
      const f = Math.fround;
      const [b1, b2, k1, k2, c1, c2, eps, step] = [a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, a.c1, a.c2, a.epsilon, -a.learningRate].map(f) as number[];
      const outputs: tf.TensorInfo[] = [];
      const forms = given.value !== undefined ? [{ value: 'value', m: 'm', v: 'v', gradient: 'gradient' }] : [];
      for (let i = 0; given.value === undefined && given[adamUpdateInputNames(i).value] !== undefined; i++) forms.push(adamUpdateInputNames(i));
      for (const names of forms) {
        state.weights++;
        const [x, m, v, g] = [read(names.value), read(names.m), read(names.v), read(names.gradient)];
        const x1 = new Float32Array(x.length);
        const m1 = new Float32Array(x.length);
        const v1 = new Float32Array(x.length);
        for (let i = 0; i < x.length; i++) {
          m1[i] = f(f(m[i]! * b1!) + f(g[i]! * k1!));
          v1[i] = f(f(v[i]! * b2!) + f(f(g[i]! * g[i]!) * k2!));
          x1[i] = f(f(f(f(m1[i]! / c1!) / f(f(Math.sqrt(f(v1[i]! / c2!))) + eps!)) * step!) + x[i]!);
        }
        const shape = given[names.value]!.shape;
        outputs.push(cpu.makeTensorInfo(shape, 'float32', x1), cpu.makeTensorInfo(shape, 'float32', m1), cpu.makeTensorInfo(shape, 'float32', v1));
      }
      return outputs;
    },
  });
  return state;
}

describe('adam through a backend AdamUpdate kernel (one call per step for all weights; optimizers.ts)', () => {
  it('follows the float64 Keras reference step by step, one kernel call per step', async () => {
    const kernel = registerCpuAdamUpdate();
    try {
      const before = tf.memory().numTensors;
      const { got, want } = await run(createOptimizer('adam', 0.05), reference('adam', 4, 0.05));
      expect(worstRelative(got, want, 1e-9)).toBeLessThan(TOLERANCE);
      expect(kernel.calls).toBe(GRADIENTS.length);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      kernel.unregister();
    }
  });

  it('matches tfjs\'s Adam bit for bit, through getWeights / setWeights, a gradient list and a missing gradient', async () => {
    const before = tf.memory().numTensors;
    const init = [[0.5, -1, 2, 0.25, 3], [1, -2]];
    /** Trains two variables 8 steps; after step 4 the optimizer state moves to a new optimizer made by `make`. */
    const train = async (make: () => tf.Optimizer): Promise<number[][]> => {
      const w = tf.tidy(() => tf.variable(tf.tensor1d(init[0]!), true, `adam_fused_w_${Math.random().toString(36).slice(2)}`));
      const u = tf.tidy(() => tf.variable(tf.tensor1d(init[1]!), true, `adam_fused_u_${Math.random().toString(36).slice(2)}`));
      let opt = make();
      for (const [s, g] of GRADIENTS.entries()) {
        if (s === 4) {
          const saved = await opt.getWeights();
          const next = make();
          await next.setWeights(saved);
          tf.dispose(saved[0]!.tensor);
          opt.dispose();
          opt = next;
        }
        tf.tidy(() =>
          opt.applyGradients([
            { name: w.name, tensor: tf.tensor1d([...g, g[0]! * 7]) },
            ...(s === 2 ? [] : [{ name: u.name, tensor: tf.tensor1d(g.slice(1, 3)) }]),
          ]),
        );
      }
      const out = [Array.from(await w.data()), Array.from(await u.data())];
      opt.dispose();
      tf.dispose([w, u]);
      return out;
    };
    const want = await train(() => tf.train.adam(0.01, 0.9, 0.999, OPTIMIZER_EPSILON));
    const kernel = registerCpuAdamUpdate();
    let got: number[][];
    try {
      got = await train(() => createOptimizer('adam', 0.01));
    } finally {
      kernel.unregister();
    }
    expect(kernel.calls).toBe(GRADIENTS.length);
    expect(kernel.weights).toBe(2 * GRADIENTS.length - 1);
    expect(got).toEqual(want);
    expect(want[0]).not.toEqual(init[0]);
    expect(tf.memory().numTensors).toBe(before);
  });
  it('hands over to tfjs\'s own step mid-training bit for bit: tfjs\'s β powers are brought up to date first', async () => {
    const before = tf.memory().numTensors;
    const train = async (make: () => tf.Optimizer, fusedSteps: number): Promise<number[]> => {
      const w = tf.tidy(() => tf.variable(tf.tensor1d([0.5, -1, 2, 0.25, 3]), true, `adam_switch_${Math.random().toString(36).slice(2)}`));
      const opt = make();
      const kernel = fusedSteps > 0 ? registerCpuAdamUpdate() : null;
      try {
        for (const [s, g] of GRADIENTS.entries()) {
          if (s === fusedSteps) kernel?.unregister();
          tf.tidy(() => opt.applyGradients({ [w.name]: tf.tensor1d([...g, g[0]! * 7]) }));
        }
        if (kernel !== null) expect(kernel.calls).toBe(fusedSteps);
      } finally {
        if (tf.getKernel(AdamUpdate, 'cpu') !== undefined) kernel?.unregister();
      }
      const out = Array.from(await w.data());
      opt.dispose();
      w.dispose();
      return out;
    };
    const want = await train(() => tf.train.adam(0.01, 0.9, 0.999, OPTIMIZER_EPSILON), 0);
    const got = await train(() => createOptimizer('adam', 0.01), 4);
    expect(got).toEqual(want);
    expect(tf.memory().numTensors).toBe(before);
  });
});
