// Setup file of the cross-origin isolated suite; runs before the wasm module starts.
import { configureWasm } from '../index.js';

// The threaded build sizes its pool from navigator.hardwareConcurrency, which is 2 on the test machine and gave
// a single thread; pretend to have 8 logical cores so that 4 threads can start.
Object.defineProperty(navigator, 'hardwareConcurrency', { configurable: true, get: () => 8 });

configureWasm({ threads: 4 });
