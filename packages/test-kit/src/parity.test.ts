import { parityTests } from './index.js';

// core's gradients are the active ones here: this file never loads @tensorflow/tfjs (parity_oracle.test.ts does,
// in its own process).
parityTests({ backend: 'cpu', label: 'cpu (Node)' });
