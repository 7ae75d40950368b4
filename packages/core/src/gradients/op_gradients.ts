import * as tf from '@tensorflow/tfjs-core';

/*
 * Gradients of the tfjs kernels a BasicRNN forward pass, its head and its losses run through.
 *
 * Why core carries these: tfjs-core ships its gradients only as `dist/register_all_gradients`, a tree of ES
 * modules with extension-less imports that Node cannot load, and its Node bundle registers none. Training must
 * work after `import '@basicrnn/core'` in Node and in browsers alike, so core registers the gradients it needs,
 * each only when no gradient is registered for that kernel yet (tfjs's own, e.g. from `@tensorflow/tfjs`, win).
 * They follow tfjs-core's `src/gradients/*_grad.ts`.
 */

type Saved = tf.Tensor[];

/** Sums a broadcast gradient back down to `shape`. */
function unbroadcast(dy: tf.Tensor, shape: number[]): tf.Tensor {
  const outShape = tf.broadcast_util.assertAndGetBroadcastShape(shape, dy.shape);
  const axes = tf.broadcast_util.getReductionAxes(shape, outShape);
  return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, shape);
}

function binary(kernelName: string, da: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor, db: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => tf.Tensor): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as Saved;
      return {
        a: () => unbroadcast(da(dy as tf.Tensor, a!, b!), a!.shape),
        b: () => unbroadcast(db(dy as tf.Tensor, a!, b!), b!.shape),
      };
    },
  };
}

function unaryFromInput(kernelName: string, dx: (dy: tf.Tensor, x: tf.Tensor) => tf.Tensor): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => dx(dy as tf.Tensor, (saved as Saved)[0]!) }),
  };
}

function unaryFromOutput(kernelName: string, dx: (dy: tf.Tensor, y: tf.Tensor) => tf.Tensor): tf.GradConfig {
  return {
    kernelName,
    outputsToSave: [true],
    gradFunc: (dy, saved) => ({ x: () => dx(dy as tf.Tensor, (saved as Saved)[0]!) }),
  };
}

/** dy expanded back over the reduced axes of x. */
function expandReduced(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): tf.Tensor {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const shape = x.shape.slice();
  for (const a of axes) shape[a] = 1;
  return tf.mul(tf.reshape(dy, shape), tf.ones(x.shape));
}

const configs: tf.GradConfig[] = [
  binary(tf.Add, (dy) => dy, (dy) => dy),
  binary(tf.Sub, (dy) => dy, (dy) => tf.neg(dy)),
  binary(tf.Multiply, (dy, _a, b) => tf.mul(dy, b), (dy, a) => tf.mul(dy, a)),
  binary(tf.RealDiv, (dy, _a, b) => tf.div(dy, b), (dy, a, b) => tf.neg(tf.div(tf.mul(dy, a), tf.square(b)))),
  binary(tf.SquaredDifference, (dy, a, b) => tf.mul(dy, tf.mul(2, tf.sub(a, b))), (dy, a, b) => tf.mul(dy, tf.mul(2, tf.sub(b, a)))),
  binary(tf.Maximum, (dy, a, b) => tf.mul(dy, tf.cast(tf.greaterEqual(a, b), 'float32')), (dy, a, b) => tf.mul(dy, tf.cast(tf.less(a, b), 'float32'))),
  binary(tf.Minimum, (dy, a, b) => tf.mul(dy, tf.cast(tf.lessEqual(a, b), 'float32')), (dy, a, b) => tf.mul(dy, tf.cast(tf.greater(a, b), 'float32'))),
  {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as Saved;
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const d = dy as tf.Tensor;
      if (!transposeA && !transposeB) return { a: () => tf.matMul(d, b!, false, true), b: () => tf.matMul(a!, d, true, false) };
      if (!transposeA && transposeB) return { a: () => tf.matMul(d, b!), b: () => tf.matMul(d, a!, true, false) };
      if (transposeA && !transposeB) return { a: () => tf.matMul(b!, d, false, true), b: () => tf.matMul(a!, d) };
      return { a: () => tf.matMul(b!, d, true, true), b: () => tf.matMul(d, a!, true, true) };
    },
  },
  {
    kernelName: tf.AddN,
    saveAllInputs: true,
    gradFunc: (dy, saved) => Object.fromEntries((saved as Saved).map((_, i) => [i, () => tf.clone(dy as tf.Tensor)])),
  },
  unaryFromOutput(tf.Tanh, (dy, y) => tf.mul(dy, tf.sub(1, tf.square(y)))),
  unaryFromOutput(tf.Sigmoid, (dy, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y)))),
  unaryFromOutput(tf.Exp, (dy, y) => tf.mul(dy, y)),
  unaryFromInput(tf.Relu, (dy, x) => tf.mul(dy, tf.step(x))),
  unaryFromInput(tf.Log, (dy, x) => tf.div(dy, x)),
  unaryFromInput(tf.Log1p, (dy, x) => tf.div(dy, tf.add(x, 1))),
  unaryFromInput(tf.Abs, (dy, x) => tf.mul(dy, tf.step(x, -1))),
  unaryFromInput(tf.Square, (dy, x) => tf.mul(dy, tf.mul(x, 2))),
  unaryFromInput(tf.Sqrt, (dy, x) => tf.div(dy, tf.mul(tf.sqrt(x), 2))),
  { kernelName: tf.Neg, gradFunc: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }) },
  { kernelName: tf.Identity, gradFunc: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }) },
  { kernelName: tf.Cast, gradFunc: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }) },
  {
    kernelName: tf.Reshape,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.reshape(dy as tf.Tensor, (saved as Saved)[0]!.shape) }),
  },
  {
    kernelName: tf.ExpandDims,
    inputsToSave: ['input'],
    gradFunc: (dy, saved) => ({ input: () => tf.reshape(dy as tf.Tensor, (saved as Saved)[0]!.shape) }),
  },
  {
    kernelName: tf.Transpose,
    gradFunc: (dy, _saved, attrs) => {
      const { perm } = attrs as unknown as { perm: number[] };
      const inverse = tf.backend_util.getUndoAxesPermutation(perm);
      return { x: () => tf.transpose(dy as tf.Tensor, inverse) };
    },
  },
  {
    kernelName: tf.Slice,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = (saved as Saved)[0]!;
      const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
      const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
      const paddings = x.shape.map((d, i) => [b![i]!, d - b![i]! - s![i]!] as [number, number]);
      return { x: () => tf.pad(dy as tf.Tensor, paddings) };
    },
  },
  {
    kernelName: tf.Pack,
    saveAllInputs: true,
    gradFunc: (dy, _saved, attrs) => {
      const { axis } = attrs as unknown as { axis: number };
      return Object.fromEntries(tf.unstack(dy as tf.Tensor, axis).map((t, i) => [i, () => t]));
    },
  },
  {
    kernelName: tf.Unpack,
    gradFunc: (dy, _saved, attrs) => {
      const { axis } = attrs as unknown as { axis: number };
      // The tape hands a single-output kernel its one gradient as a Tensor, not a list (unstack of a length-1 axis:
      // a one-step sequence on the composite path).
      const parts = Array.isArray(dy) ? dy : [dy];
      return { value: () => tf.stack(parts, axis) };
    },
  },
  {
    kernelName: tf.Concat,
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const inputs = saved as Saved;
      const { axis } = attrs as unknown as { axis: number };
      const a = tf.util.parseAxisParam(axis, inputs[0]!.shape)[0]!;
      return Object.fromEntries(tf.split(dy as tf.Tensor, inputs.map((t) => t.shape[a]!), a).map((t, i) => [i, () => t]));
    },
  },
  {
    kernelName: tf.Reverse,
    gradFunc: (dy, _saved, attrs) => {
      const { dims } = attrs as unknown as { dims: number | number[] };
      return { x: () => tf.reverse(dy as tf.Tensor, dims) };
    },
  },
  {
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = (saved as Saved)[0]!;
      const { axis } = attrs as unknown as { axis: number | number[] };
      return { x: () => expandReduced(dy as tf.Tensor, x, axis) };
    },
  },
  {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = (saved as Saved)[0]!;
      const { axis } = attrs as unknown as { axis: number | number[] };
      const axes = tf.util.parseAxisParam(axis, x.shape);
      const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
      return { x: () => tf.div(expandReduced(dy as tf.Tensor, x, axis), count) };
    },
  },
  {
    kernelName: tf.Max,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved as Saved;
      const { reductionIndices } = attrs as unknown as { reductionIndices: number | number[] };
      const axes = tf.util.parseAxisParam(reductionIndices, x!.shape);
      const keep = x!.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      return { x: () => tf.mul(tf.reshape(dy as tf.Tensor, keep), tf.cast(tf.equal(x!, tf.reshape(y!, keep)), 'float32')) };
    },
  },
  {
    kernelName: tf.Softmax,
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const y = (saved as Saved)[0]!;
      const { dim } = attrs as unknown as { dim: number };
      const dyTimesY = tf.mul(dy as tf.Tensor, y);
      return { logits: () => tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y)) };
    },
  },
  {
    kernelName: tf.ClipByValue,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const x = (saved as Saved)[0]!;
      const { clipValueMin, clipValueMax } = attrs as unknown as { clipValueMin: number; clipValueMax: number };
      const inside = tf.logicalAnd(tf.greaterEqual(x, clipValueMin), tf.lessEqual(x, clipValueMax));
      return { x: () => tf.where(inside, dy as tf.Tensor, tf.zerosLike(dy as tf.Tensor)) };
    },
  },
  {
    // A select rather than tfjs's dy·cast(condition): the branch not taken gets exactly 0, even where dy is NaN.
    kernelName: tf.Select,
    inputsToSave: ['condition'],
    gradFunc: (dy, saved) => {
      const condition = (saved as Saved)[0]!;
      const d = dy as tf.Tensor;
      return {
        condition: () => tf.zeros(condition.shape),
        t: () => tf.where(condition, d, tf.zerosLike(d)),
        e: () => tf.where(condition, tf.zerosLike(d), d),
      };
    },
  },
  {
    kernelName: tf.GatherV2,
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved, attrs) => {
      const [x, indices] = saved as Saved;
      const { axis } = attrs as unknown as { axis: number };
      if (axis !== 0 || indices!.rank !== 1) throw new Error('basicrnn: GatherV2 gradient supports axis 0 with 1-D indices');
      return {
        x: () => segmentSumRows(dy as tf.Tensor, indices as tf.Tensor1D, x!.shape[0]!),
        indices: () => tf.zerosLike(indices!),
      };
    },
  },
];

/** Rows of the one-hot block of {@link segmentSumRows}'s fallback, at most (4M floats: 16 MiB). */
const ONE_HOT_BLOCK = 4 * 1024 * 1024;

/**
 * Sums the rows of `dy` ([n, …]) into `segments` rows by `indices` ([n]): the gradient of a gather (an embedding
 * lookup). tfjs's `unsortedSegmentSum` where the active backend has that kernel; tfjs-backend-wasm has none, so there
 * one-hot rows times `dy` ([segments, n]·[n, D]), in blocks of rows so the one-hot block stays ≤ 16 MiB.
 * `useKernel` is for tests.
 */
export function segmentSumRows(
  dy: tf.Tensor,
  indices: tf.Tensor1D,
  segments: number,
  useKernel = tf.getKernel(tf.UnsortedSegmentSum, tf.getBackend()) !== undefined,
): tf.Tensor {
  if (useKernel) return tf.unsortedSegmentSum(dy, indices, segments);
  return tf.tidy(() => {
    const n = indices.shape[0];
    const width = n === 0 ? 0 : dy.size / n;
    const flat = tf.reshape(dy, [n, width]);
    const ids = indices.dtype === 'int32' ? indices : tf.cast(indices, 'int32');
    const rows = Math.max(1, Math.floor(ONE_HOT_BLOCK / Math.max(1, segments)));
    let sum: tf.Tensor = tf.zeros([segments, width]);
    for (let start = 0; start < n; start += rows) {
      const size = Math.min(rows, n - start);
      const oneHot = tf.oneHot(tf.slice(ids, [start], [size]) as tf.Tensor1D, segments);
      sum = tf.add(sum, tf.matMul(oneHot, tf.slice(flat, [start, 0], [size, width]), true, false));
    }
    return tf.reshape(sum, [segments, ...dy.shape.slice(1)]);
  });
}

/**
 * The gradient configs core carries for tfjs kernels, in registration order. Read-only view for tests that
 * assert which gradient is active (`tf.getGradient(name).gradFunc === config.gradFunc`): after another package
 * registers its own (e.g. `@tensorflow/tfjs`), core's are no longer the ones training runs.
 */
export function opGradientConfigs(): readonly tf.GradConfig[] {
  return configs;
}

/** Registers each gradient whose kernel has none yet. */
export function registerOpGradients(): void {
  for (const config of configs) {
    if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config);
  }
}
