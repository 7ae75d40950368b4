// The side effects of importing this package: tfjs-backend-wasm registers the tfjs `wasm` backend and its kernels
// when imported, core learns how to prepare and describe it, and the fused recurrence kernels are registered for
// core's SimpleRNN, LSTM and GRU sequence ops and their backward ops (core uses them while fused kernels are enabled, its composite otherwise).
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { registerBackendBinding } from '@basicrnn/core';
import { wasmBinding } from './base.js';
import { rnnSequenceConfig } from './kernels/RnnSequence.js';
import { rnnSequenceGradConfig } from './kernels/RnnSequenceGrad.js';
import { lstmSequenceConfig, lstmSequenceFinalConfig } from './kernels/LstmSequence.js';
import { lstmSequenceGradConfig } from './kernels/LstmSequenceGrad.js';
import { gruSequenceConfig, gruSequenceFinalConfig } from './kernels/GruSequence.js';
import { gruSequenceGradConfig } from './kernels/GruSequenceGrad.js';
import { adamUpdateConfig } from './kernels/AdamUpdate.js';
import { heapSliceConfig } from './kernels/Slice.js';
import { sharedIdentityConfig } from './kernels/Identity.js';
import { finiteProbeConfig } from './kernels/FiniteProbe.js';
import { denseForwardConfig } from './kernels/DenseForward.js';

registerBackendBinding(wasmBinding);
const configs = [rnnSequenceConfig, rnnSequenceGradConfig, lstmSequenceConfig, lstmSequenceGradConfig, gruSequenceConfig, gruSequenceGradConfig, adamUpdateConfig, finiteProbeConfig, denseForwardConfig, lstmSequenceFinalConfig, gruSequenceFinalConfig];
for (const config of configs) {
  // tfjs warns on a second registration; a second copy of this package in one bundle keeps the first one's.
  if (tf.getKernel(config.kernelName, config.backendName) === undefined) tf.registerKernel(config);
}

// tfjs's own Slice copies its whole input out of the heap first (kernels/Slice.ts), and its Identity copies its input
// (kernels/Identity.ts): replaced by kernels that do not.
for (const [name, replace] of [[tf.Slice, heapSliceConfig], [tf.Identity, sharedIdentityConfig]] as const) {
  const original = tf.getKernel(name, 'wasm');
  if (original === undefined) continue;
  const replacement = replace(original);
  if (replacement !== original) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(replacement);
  }
}
