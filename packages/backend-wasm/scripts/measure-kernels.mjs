// Times the fused LSTM and GRU kernels alone at the bench's L shape (B64·T100·I32·H256; minima of 9 rounds, interleaved)
// against XNNPACK's own matmul of the per-step shape in the same process: `node scripts/measure-kernels.mjs` after
// `pnpm run build`. Times are process CPU time (process.cpuUsage, user + system), not wall time: on a loaded shared
// machine a long call is preempted for most of its wall time, while its CPU time stays what a quiet machine gives.
import * as tf from '@tensorflow/tfjs-core';

const now = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
import { setBackend } from '@basicrnn/core';
import '../dist/index.js';
await setBackend('wasm');
const [B, T, I, H] = [64, 100, 32, 256];
const r = (s) => tf.randomUniform(s, -0.1, 0.1);
for (const cell of ['lstm', 'gru']) {
  const G = (cell === 'lstm' ? 4 : 3) * H;
  const inputs = { x: r([B, T, I]), kernel: r([I, G]), recurrentKernel: r([H, G]), bias: cell === 'gru' ? r([2, G]) : r([G]), h0: r([B, H]) };
  if (cell === 'lstm') inputs.c0 = r([B, H]);
  inputs.mask = tf.ones([B, T]);
  const name = cell === 'lstm' ? 'BasicLstmSequence' : 'BasicGruSequence';
  const attrs = { activation: 'tanh', recurrentActivation: 'sigmoid', goBackwards: false, resetAfter: cell === 'gru' };
  const out = [tf.engine().runKernel(name, inputs, attrs)].flat();
  const gi = { ...inputs, hiddenStates: out[0], dh: r([B, T, H]) };
  if (cell === 'lstm') { gi.cellStates = out[1]; gi.dc = r([B, T, H]); }
  const a = r([B, H]), b = r([H, G]);
  const t = { fwd: [], bwd: [], mm: [] };
  for (let i = 0; i < 9; i++) {
    let t0 = now(); tf.dispose(tf.engine().runKernel(name, inputs, attrs)); t.fwd.push(now() - t0);
    t0 = now(); tf.dispose(tf.engine().runKernel(name + 'Grad', gi, { ...attrs, hiddenStateGrads: false })); t.bwd.push(now() - t0);
    t0 = now(); for (let k = 0; k < 20; k++) { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); } t.mm.push((now() - t0) / 20);
  }
  const min = (v) => Math.min(...v);
  const fl = 2 * B * T * (I + H) * G;
  const peak = (2 * B * H * G) / min(t.mm) / 1e6;
  const fw = fl / min(t.fwd) / 1e6;
  console.log(`${cell} L kernels (CPU time, min of 9): forward ${min(t.fwd).toFixed(1)} ms = ${fw.toFixed(1)} GFLOP/s, backward ${min(t.bwd).toFixed(1)} ms; XNNPACK ${B}x${H}·${H}x${G} matmul peak ${peak.toFixed(1)} GFLOP/s -> forward at ${((100 * fw) / peak).toFixed(0)}% of peak`);
}
