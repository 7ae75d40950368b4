import { layersParityTests } from '@basicrnn/test-kit';
import './index.js';

layersParityTests({ backend: 'wasm', label: 'wasm (Node, SIMD, 1 thread)' });
