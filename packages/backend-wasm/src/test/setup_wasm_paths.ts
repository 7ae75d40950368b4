// Setup file of both browser suites: point tfjs at Vite's URLs for the .wasm files before anything starts wasm.
import { configureWasm } from '../index.js';
import { wasmUrls } from './wasm_urls.js';

configureWasm({ wasmPaths: wasmUrls });
