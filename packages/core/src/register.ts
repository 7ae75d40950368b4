// Side effects of importing @basicrnn/core, in one place: the cpu reference backend and its fused recurrence
// kernels, the recurrence op's one gradient, gradients of the tfjs kernels it runs through, the fused-kernel flag, and cpu as the active backend
// when nothing else has been chosen yet. package.json "sideEffects" lists this file and index.ts, which imports
// it: bundlers skip the re-exports of a side-effect-free index and would drop this import with it.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { registerBackendBinding } from './backend_registry.js';
import { registerOpGradients } from './gradients/op_gradients.js';
import { cpuRnnSequenceConfig } from './kernels/cpu_rnn_sequence.js';
import { cpuRnnSequenceGradConfig } from './kernels/cpu_rnn_sequence_grad.js';
import { cpuGruSequenceConfig } from './kernels/cpu_gru_sequence.js';
import { cpuGruSequenceGradConfig } from './kernels/cpu_gru_sequence_grad.js';
import { cpuLstmSequenceConfig } from './kernels/cpu_lstm_sequence.js';
import { cpuLstmSequenceGradConfig } from './kernels/cpu_lstm_sequence_grad.js';
import { rnnSequenceGradConfig } from './gradients/rnn_sequence_grad.js';
import { registerFusedFlag } from './ops/fused_flag.js';
import { SEQUENCE_OPS } from './ops/sequence_ops.js';

// One gradient per cell sequence op (SimpleRNN's is rnnSequenceGradConfig, also in SEQUENCE_OPS).
tf.registerGradient(rnnSequenceGradConfig);
for (const op of Object.values(SEQUENCE_OPS)) {
  if (op.gradConfig !== rnnSequenceGradConfig) tf.registerGradient(op.gradConfig);
}
registerOpGradients();
registerFusedFlag();
for (const config of [
  cpuRnnSequenceConfig,
  cpuRnnSequenceGradConfig,
  cpuLstmSequenceConfig,
  cpuLstmSequenceGradConfig,
  cpuGruSequenceConfig,
  cpuGruSequenceGradConfig,
]) {
  if (tf.getKernel(config.kernelName, config.backendName) === undefined) tf.registerKernel(config);
}
registerBackendBinding(cpuBinding());

// tfjs would otherwise pick the highest-priority registered backend lazily at the first op, and an async one
// (wasm) would then throw "not yet initialized". cpu starts synchronously, so it is active right after import;
// `await setBackend('wasm')` switches.
if (tf.engine().backendName == null) void tf.setBackend('cpu');

function cpuBinding() {
  return { name: 'cpu' } as const;
}
