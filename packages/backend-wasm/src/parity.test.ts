import { parityTests } from '@basicrnn/test-kit';
import './index.js';

parityTests({ backend: 'wasm', label: 'wasm (Node, SIMD, 1 thread)' });
