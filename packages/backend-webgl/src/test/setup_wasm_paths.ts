// Setup file of the browser suite: the cross-backend tests also run wasm, whose .wasm files Vite serves only at
// the URLs of these ?url imports. The page is not cross-origin isolated, so the SIMD build is the one loaded.
import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { configureWasm } from '@basicrnn/backend-wasm';

configureWasm({
  wasmPaths: {
    'tfjs-backend-wasm.wasm': plain,
    'tfjs-backend-wasm-simd.wasm': simd,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedSimd,
  },
});
