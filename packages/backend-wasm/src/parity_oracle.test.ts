import { oracleParityTests } from '@basicrnn/test-kit/oracle';
import './index.js';

// Loads @tensorflow/tfjs (tfjs-layers): its own file, so its own process; parity.test.ts keeps core's gradients.
oracleParityTests({ backend: 'wasm', label: 'wasm (Node, SIMD, 1 thread)' });
