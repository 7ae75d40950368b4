// Core's own gradients of the tfjs kernels (op_gradients.ts), in core's own process where they are the active ones
// (no @tensorflow/tfjs loaded). Each kernel's gradient, with broadcasting and non-trivial attributes, against
// central finite differences of the same forward op; kinks (ties of max / min, relu and abs at 0, clip bounds) are
// checked by hand against tfjs's conventions.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import '../register.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Deterministic values in [lo, hi), away from 0 by at least `gap` when `gap` > 0. */
function values(n: number, seed: number, lo = -2, hi = 2, gap = 0): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    let v = lo + ((hi - lo) * s) / 2147483648;
    if (gap > 0 && Math.abs(v) < gap) v = v < 0 ? -gap - Math.abs(v) : gap + v;
    return v;
  });
}

interface Input {
  shape: number[];
  data: number[];
}

const input = (shape: number[], seed: number, lo?: number, hi?: number, gap?: number): Input => ({
  shape,
  data: values(shape.reduce((a, b) => a * b, 1), seed, lo, hi, gap),
});

/**
 * L(x…) = Σ f(x…)·w for fixed pseudo-random w (so each output element gets its own dy), differentiated by
 * tf.grads (core's gradients) and by central differences in float64 around float32 evaluations.
 */
function checkGradient(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Input[], h = 1e-2, tol = 3e-3): void {
  const before = tf.memory().numTensors;
  const loss = (...xs: tf.Tensor[]): tf.Scalar => {
    const y = f(...xs);
    const w = tf.tensor(values(y.size, 99, 0.5, 1.5), y.shape);
    return tf.sum(tf.mul(y, w));
  };
  const evaluate = (data: number[][]): number =>
    tf.tidy(() => loss(...data.map((d, i) => tf.tensor(d, inputs[i]!.shape))).dataSync()[0]!);
  const analytic = tf.tidy(() => tf.grads(loss)(inputs.map((x) => tf.tensor(x.data, x.shape))).map((g) => Array.from(g.dataSync())));
  inputs.forEach((x, i) => {
    expect(analytic[i]).toHaveLength(x.data.length);
    x.data.forEach((_, j) => {
      const plus = inputs.map((y) => [...y.data]);
      const minus = inputs.map((y) => [...y.data]);
      plus[i]![j]! += h;
      minus[i]![j]! -= h;
      const numeric = (evaluate(plus) - evaluate(minus)) / (2 * h);
      expect(Math.abs(analytic[i]![j]! - numeric), `input ${i}[${j}]: ${analytic[i]![j]} vs ${numeric}`).toBeLessThan(
        tol * (1 + Math.abs(numeric)),
      );
    });
  });
  expect(tf.memory().numTensors).toBe(before);
}

/** Gradient of Σ f(x)·dy at x (dy given), as plain arrays. */
function gradAt(f: (x: tf.Tensor) => tf.Tensor, x: number[], dy?: number[]): number[] {
  return tf.tidy(() => {
    const g = tf.grad((t: tf.Tensor) => {
      const y = f(t);
      return tf.sum(dy ? tf.mul(y, tf.tensor(dy, y.shape)) : y);
    })(tf.tensor1d(x));
    return Array.from(g.dataSync());
  });
}

describe('binary kernels, with broadcasting both ways', () => {
  const a = input([2, 3], 1, -2, 2, 0.8);
  const row = input([3], 2, -2, 2, 0.8);
  const col = input([2, 1], 3, -2, 2, 0.8);
  it.each([
    ['add', tf.add],
    ['sub', tf.sub],
    ['mul', tf.mul],
    ['div', tf.div],
    ['squaredDifference', tf.squaredDifference],
    ['maximum', tf.maximum],
    ['minimum', tf.minimum],
  ] as const)('%s', (_, op) => {
    checkGradient((x, y) => op(x!, y!), [a, row]);
    checkGradient((x, y) => op(x!, y!), [col, a]);
    checkGradient((x, y) => op(x!, y!), [a, input([2, 3], 4, -2, 2, 0.8)]);
  });

  it('maximum / minimum send the gradient of a tie to the first argument (tfjs)', () => {
    const both = (op: typeof tf.maximum) =>
      tf.tidy(() => {
        const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(op(x, y)))([tf.tensor1d([1, 2, 3]), tf.tensor1d([1, 0, 5])]);
        return [Array.from(ga!.dataSync()), Array.from(gb!.dataSync())];
      });
    expect(both(tf.maximum)).toEqual([
      [1, 1, 0],
      [0, 0, 1],
    ]);
    expect(both(tf.minimum)).toEqual([
      [1, 0, 1],
      [0, 1, 0],
    ]);
  });
});

describe('matMul (BatchMatMul), every transpose combination and a batch', () => {
  it.each([
    [false, false, [2, 3], [3, 4]],
    [false, true, [2, 3], [4, 3]],
    [true, false, [3, 2], [3, 4]],
    [true, true, [3, 2], [4, 3]],
  ] as const)('transposeA %s, transposeB %s', (ta, tb, sa, sb) => {
    checkGradient((x, y) => tf.matMul(x!, y!, ta, tb), [input([...sa], 5), input([...sb], 6)]);
  });

  it('batched [2, 2, 3] × [2, 3, 2]', () => {
    checkGradient((x, y) => tf.matMul(x!, y!), [input([2, 2, 3], 7), input([2, 3, 2], 8)]);
  });
});

describe('unary kernels', () => {
  const x = input([2, 3], 9, -2, 2, 0.3);
  const positive = input([2, 3], 10, 0.3, 2.5);
  it.each([
    ['tanh', tf.tanh, x],
    ['sigmoid', tf.sigmoid, x],
    ['exp', tf.exp, x],
    ['relu', tf.relu, x],
    ['log', tf.log, positive],
    ['log1p', tf.log1p, positive],
    ['abs', tf.abs, x],
    ['square', tf.square, x],
    ['sqrt', tf.sqrt, positive],
    ['neg', tf.neg, x],
    ['clone (Identity)', tf.clone, x],
  ] as const)('%s', (_, op, data) => {
    checkGradient((t) => op(t!), [data]);
  });

  it('relu and abs at 0 follow tfjs: relu′(0) = 0, abs′(0) = −1 (step(x, −1))', () => {
    expect(gradAt(tf.relu, [-1, 0, 2])).toEqual([0, 0, 1]);
    expect(gradAt(tf.abs, [-1, 0, 2])).toEqual([-1, -1, 1]);
  });

  it('cast to float32 passes the gradient through', () => {
    expect(gradAt((t) => tf.cast(t, 'float32'), [1, 2], [3, -4])).toEqual([3, -4]);
  });

  it('clipByValue passes the gradient inside [min, max] (bounds included) and stops it outside', () => {
    expect(gradAt((t) => tf.clipByValue(t, -1, 1), [-2, -1, 0, 1, 3], [1, 2, 3, 4, 5])).toEqual([0, 2, 3, 4, 0]);
    checkGradient((t) => tf.clipByValue(t!, -1, 1), [input([2, 3], 11, -3, 3)].map((i) => ({ ...i, data: i.data.map((v) => (Math.abs(Math.abs(v) - 1) < 0.05 ? v * 1.2 : v)) })));
  });

  it('where (Select) sends dy to the branch taken and exactly 0 to the other, even where dy is NaN', () => {
    const condition = tf.tensor2d([[true, false, true], [false, false, true]], [2, 3], 'bool');
    checkGradient((a, b) => tf.where(condition, a!, b!), [input([2, 3], 26), input([2, 3], 27)]);
    const [ga, gb] = tf.tidy(() =>
      tf
        .grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.where(condition, a, b), tf.tensor2d([[NaN, 1, 2], [3, NaN, NaN]]))))([tf.ones([2, 3]), tf.ones([2, 3])])
        .map((g) => Array.from(g.dataSync())),
    );
    expect(ga).toEqual([NaN, 0, 2, 0, 0, NaN]);
    expect(gb).toEqual([0, 1, 0, 3, NaN, 0]);
    condition.dispose();
  });
});

describe('shape kernels', () => {
  const x = input([2, 3, 4], 12);
  it('reshape', () => checkGradient((t) => tf.reshape(t!, [4, 6]), [x]));
  it('expandDims', () => checkGradient((t) => tf.expandDims(t!, 1), [x]));
  it('transpose with a permutation that is not its own inverse', () => checkGradient((t) => tf.transpose(t!, [2, 0, 1]), [x]));
  it('slice from a non-zero begin', () => checkGradient((t) => tf.slice(t!, [1, 1, 0], [1, 2, 3]), [x]));
  it('stack (Pack) on axis 1', () => checkGradient((a, b) => tf.stack([a!, b!], 1), [input([2, 3], 13), input([2, 3], 14)]));
  it('unstack (Unpack) on axis 1, parts used differently', () =>
    checkGradient((t) => {
      const [p, q, r] = tf.unstack(t!, 1);
      return tf.concat([p!, tf.mul(q!, 2), tf.mul(r!, r!)], 0);
    }, [input([2, 3], 15)]));
  it('unstack of a length-1 axis (the tape passes its one gradient as a Tensor, not a list)', () =>
    checkGradient((t) => tf.mul(tf.unstack(t!, 1)[0]!, 2), [input([2, 1, 3], 25)]));
  it('concat of unequal parts on axis 1', () => checkGradient((a, b) => tf.concat([a!, b!], 1), [input([2, 1], 16), input([2, 3], 17)]));
  it('reverse on axis 1', () => checkGradient((t) => tf.reverse(t!, 1), [x]));
  it('gather on axis 0 with repeated indices (GatherV2)', () =>
    checkGradient((t) => tf.gather(t!, tf.tensor1d([2, 0, 2], 'int32')), [input([3, 2], 18)]));
  it('addN', () => checkGradient((a, b, c) => tf.addN([a!, b!, c!]), [input([2, 2], 19), input([2, 2], 20), input([2, 2], 21)]));
});

describe('reductions and softmax', () => {
  const x = input([2, 3, 4], 22);
  it('sum over one axis, over several, keepDims, and over all', () => {
    checkGradient((t) => tf.sum(t!, 1), [x]);
    checkGradient((t) => tf.sum(t!, [0, 2], true), [x]);
    checkGradient((t) => tf.sum(t!), [x]);
  });
  it('mean over one axis, over several, and over all', () => {
    checkGradient((t) => tf.mean(t!, 2), [x]);
    checkGradient((t) => tf.mean(t!, [0, 2]), [x]);
    checkGradient((t) => tf.mean(t!), [x]);
  });
  it('max over an axis (no ties), and a tie sends the gradient to every maximum (tfjs)', () => {
    checkGradient((t) => tf.max(t!, 1), [x]);
    checkGradient((t) => tf.max(t!, [0, 2], true), [x]);
    expect(gradAt((t) => tf.max(t), [1, 3, 3, 2])).toEqual([0, 1, 1, 0]);
  });
  it('softmax and logSoftmax over the last axis', () => {
    checkGradient((t) => tf.softmax(t!), [input([2, 4], 23)]);
    checkGradient((t) => tf.logSoftmax(t!), [input([2, 4], 24)]);
  });
});

describe('every gradient core registers is the active one in this process', () => {
  it('tfjs-core alone registers none of these kernels\' gradients, so core\'s run', async () => {
    const { registerOpGradients } = await import('./op_gradients.js');
    const kernels = [tf.Add, tf.Sub, tf.Multiply, tf.RealDiv, tf.SquaredDifference, tf.Tanh, tf.BatchMatMul, tf.Softmax];
    const registered = kernels.map((k) => tf.getGradient(k));
    registerOpGradients();
    // registering again changes nothing (each only where none exists)
    expect(kernels.map((k) => tf.getGradient(k))).toEqual(registered);
    for (const g of registered) expect(g).toBeDefined();
  });

  it('a gradient registered before core\'s (tfjs\'s own, say) is kept', async () => {
    const { registerOpGradients } = await import('./op_gradients.js');
    const core = tf.getGradient(tf.Neg)!;
    const theirs: tf.GradConfig = { kernelName: tf.Neg, gradFunc: (dy) => ({ x: () => tf.mul(dy as tf.Tensor, 3) }) };
    tf.registerGradient(theirs);
    try {
      registerOpGradients();
      expect(tf.getGradient(tf.Neg)).toBe(theirs);
    } finally {
      tf.registerGradient(core);
    }
    expect(gradAt(tf.neg, [1])).toEqual([-1]);
  });

  it('gather\'s gradient refuses what it does not support (axis 1) instead of answering wrongly', () => {
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    expect(() => tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, tf.tensor1d([1], 'int32'), 1)))(x)).toThrow(
      /GatherV2 gradient supports axis 0 with 1-D indices/,
    );
    x.dispose();
  });
});

describe('segmentSumRows: the gather gradient without an UnsortedSegmentSum kernel (tfjs-backend-wasm has none)', () => {
  it('the one-hot fallback equals unsortedSegmentSum, repeated and unused ids included, across blocks', async () => {
    const { segmentSumRows } = await import('./op_gradients.js');
    const before = tf.memory().numTensors;
    const dy = tf.tensor3d(Array.from({ length: 7 * 2 * 3 }, (_, i) => Math.sin(i) * 3), [7, 2, 3]);
    const ids = tf.tensor1d([4, 0, 4, 2, 4, 0, 5], 'int32');
    const want = segmentSumRows(dy, ids, 6, true);
    const got = segmentSumRows(dy, ids, 6, false);
    expect(got.shape).toEqual([6, 2, 3]);
    const w = await want.data();
    const g = await got.data();
    for (let i = 0; i < w.length; i++) expect(g[i]).toBeCloseTo(w[i]!, 5);
    // Row 1 and row 3 receive nothing; row 4 the sum of three rows.
    expect(Array.from((await got.data()).slice(6, 12))).toEqual([0, 0, 0, 0, 0, 0]);
    tf.dispose([dy, ids, want, got]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
