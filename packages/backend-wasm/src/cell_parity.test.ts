import { cellParityTests } from '@basicrnn/test-kit/cells';
import './index.js';

cellParityTests({ backend: 'wasm', label: 'wasm (Node, SIMD, 1 thread)' });
