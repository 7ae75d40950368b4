// The side effect of importing this package: tfjs-backend-webgl registers the tfjs `webgl` backend and its
// kernels when imported in a browser, and core learns how to prepare, describe and explain it.
import '@tensorflow/tfjs-backend-webgl';
import { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import * as tf from '@tensorflow/tfjs-core';
import { registerBackendBinding } from '@basicrnn/core';
import { canCreateWebGLCanvas, NO_WEBGL_CONTEXT, WEBGL_BACKEND_NAME, webglBinding } from './base.js';
import { rnnSequenceConfig } from './kernels/rnn_sequence.js';
import { rnnSequenceGradConfig } from './kernels/rnn_sequence_grad.js';
import { gruSequenceConfig, gruSequenceFinalConfig, lstmSequenceConfig, lstmSequenceFinalConfig } from './kernels/gated_sequence.js';
import { gruSequenceGradConfig, lstmSequenceGradConfig } from './kernels/gated_sequence_grad.js';
import { adamUpdateConfig } from './kernels/adam_update.js';
import { finiteProbeConfig } from './kernels/finite_probe.js';

// tfjs registers webgl only where it detects a browser. Elsewhere (Node) register it anyway, so that
// setBackend('webgl') fails with the reason instead of "unknown backend"; with a canvas (an OffscreenCanvas
// polyfill) it is the real backend. Priority 0, below cpu, keeps tfjs's automatic choice from ever trying it.
if (tf.findBackendFactory(WEBGL_BACKEND_NAME) == null) {
  tf.registerBackend(
    WEBGL_BACKEND_NAME,
    () => {
      if (!canCreateWebGLCanvas()) throw new Error(NO_WEBGL_CONTEXT);
      return new MathBackendWebGL();
    },
    0,
  );
}

registerBackendBinding(webglBinding);

// Fused kernels for core's recurrence ops (SimpleRNN, LSTM, GRU), forward and backward (both or neither: the parity suite checks),
// and for core's AdamUpdate (one Adam step of one weight) and FiniteProbe (are all gradients finite?). They
// are keyed by backend name, so registering them in Node is harmless: webgl never starts there. A second copy
// of this module (a bundler duplicate, HMR) must not register again: tfjs warns and replaces.
const configs = [
  rnnSequenceConfig,
  rnnSequenceGradConfig,
  lstmSequenceConfig,
  lstmSequenceGradConfig,
  gruSequenceConfig,
  gruSequenceGradConfig,
  lstmSequenceFinalConfig,
  gruSequenceFinalConfig,
  adamUpdateConfig,
  finiteProbeConfig,
];
for (const config of configs) {
  if (tf.getKernel(config.kernelName, config.backendName) === undefined) tf.registerKernel(config);
}
