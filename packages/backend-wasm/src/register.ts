// The side effect of importing this package: tfjs-backend-wasm registers the tfjs `wasm` backend and its kernels
// when imported, and core learns how to prepare and describe it.
import '@tensorflow/tfjs-backend-wasm';
import { registerBackendBinding } from '@basicrnn/core';
import { wasmBinding } from './base.js';

registerBackendBinding(wasmBinding);
