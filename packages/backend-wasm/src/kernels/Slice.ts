import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type KernelConfig, type KernelFunc, Slice, type SliceAttrs, type TensorInfo, slice_util, util } from '@tensorflow/tfjs-core';

// tfjs-backend-wasm 4.22's Slice reads its input with `backend.readSync`, which copies the WHOLE input tensor out of
// the heap (HEAPU8.slice) before copying the few elements it keeps: taking the last step [B, 1, H] of a recurrent
// layer's states [B, T, H] cost 1.6 ms at B8·T1000·H128 (a fifth of a SimpleRNN forward) and grows with B·T·H.
// This Slice computes the same output from views of the heap. Strings keep tfjs's own kernel.

/** Marks the kernel function of {@link heapSliceConfig}, so that a second copy of this package does not wrap it again. */
const HEAP_SLICE = Symbol.for('basicrnn.wasm.heapSlice');

/**
 * Copies the box `begin`…`begin + size` of a row-major array of shape `shape` from `src` into `dst`, innermost runs
 * at a time (one `set` per run of the last dimension that is sliced).
 */
export function copyBox(src: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> }, shape: readonly number[], begin: readonly number[], size: readonly number[], dst: { set(a: ArrayLike<number>, offset: number): void }): void {
  const rank = shape.length;
  const total = size.reduce((a, d) => a * d, 1);
  if (total === 0) return;
  const strides = util.computeStrides([...shape]);
  // The trailing dimensions taken whole collapse into one contiguous run with the first dimension that is not.
  let inner = rank - 1;
  let run = rank === 0 ? 1 : size[rank - 1]!;
  while (inner > 0 && size[inner] === shape[inner]) {
    inner--;
    run *= size[inner]!;
  }
  if (rank === 0 || inner === 0) {
    const start = rank === 0 ? 0 : begin[0]! * (strides[0] ?? 1);
    dst.set(src.subarray(start, start + total), 0);
    return;
  }
  // Odometer over the dimensions before `inner`, with `inner` itself as the run's start.
  const index = new Array<number>(inner).fill(0);
  const stride = (d: number) => (d === rank - 1 ? 1 : strides[d]!);
  let out = 0;
  for (;;) {
    let start = begin[inner]! * stride(inner);
    for (let d = 0; d < inner; d++) start += (begin[d]! + index[d]!) * stride(d);
    dst.set(src.subarray(start, start + run), out);
    out += run;
    let d = inner - 1;
    while (d >= 0 && ++index[d]! === size[d]!) index[d--] = 0;
    if (d < 0) return;
  }
}

/**
 * tfjs's `Slice` for the wasm backend without the copy of the whole input (see above), wrapping the kernel it
 * replaces (used for string tensors). Same output, dtype and shape as tfjs's kernel for every input.
 */
export function heapSliceConfig(original: KernelConfig): KernelConfig {
  if ((original.kernelFunc as unknown as Record<symbol, unknown>)[HEAP_SLICE] === true) return original;
  const kernelFunc = ((args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: SliceAttrs }) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    if (x.dtype === 'string') return original.kernelFunc(args as unknown as Parameters<KernelFunc>[0]);
    const [begin, size] = slice_util.parseSliceParams(x as never, attrs.begin, attrs.size) as [number[], number[]];
    slice_util.assertParamsValid(x as never, begin, size);
    // makeOutput may grow the heap (detaching earlier views): the views are taken after it.
    const out = backend.makeOutput(size, x.dtype);
    if (util.sizeFromShape(size) === 0) return out;
    copyBox(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
    return out;
  }) as unknown as KernelFunc;
  (kernelFunc as unknown as Record<symbol, unknown>)[HEAP_SLICE] = true;
  return { kernelName: Slice, backendName: original.backendName, kernelFunc };
}
