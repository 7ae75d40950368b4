import './register.js';
export * from './base.js';
export { savedGateBytes } from './kernels/saved_gates.js';
