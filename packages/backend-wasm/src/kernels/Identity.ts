import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

// tfjs-backend-wasm 4.22's Identity copies its input into a new heap buffer. The engine runs it for every tensor a
// gradient saves (tf.clone in saveTensorsForBackwardMode) and for every tf.clone: a training step of an LSTM at
// B32·T20·H64 copied ~450 KB of states per step this way, at L ~13 MB. Heap buffers are never written after their
// kernel returns, so this Identity shares the input's buffer by reference count, as tfjs's own Reshape on this
// backend and Identity on the cpu and webgl backends do. Strings keep tfjs's kernel.

/** Marks the kernel function of {@link sharedIdentityConfig}, so that a second copy of this package does not wrap it again. */
const SHARED_IDENTITY = Symbol.for('basicrnn.wasm.sharedIdentity');

/** tfjs's `Identity` for the wasm backend sharing its input's buffer (see above); strings go to `original`. */
export function sharedIdentityConfig(original: KernelConfig): KernelConfig {
  if ((original.kernelFunc as unknown as Record<symbol, unknown>)[SHARED_IDENTITY] === true) return original;
  const kernelFunc = ((args: { inputs: { x: TensorInfo }; backend: BackendWasm }) => {
    const { x } = args.inputs;
    if (x.dtype === 'string') return original.kernelFunc(args as unknown as Parameters<KernelFunc>[0]);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  }) as unknown as KernelFunc;
  (kernelFunc as unknown as Record<symbol, unknown>)[SHARED_IDENTITY] = true;
  return { kernelName: Identity, backendName: original.backendName, kernelFunc };
}
