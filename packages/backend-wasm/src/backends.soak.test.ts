import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { soakTests } from '@basicrnn/test-kit/soak';
import './index.js';

// Soak in Node, cpu and wasm (test-kit/src/soak.ts): 10,000 trainOnBatch steps and 200 backend swaps each, tensors
// and bytes exactly flat, heap flat within the stated tolerance. Named *.soak.test.ts so a fast run can leave it
// out (pattern *.soak*.test.ts); pnpm test runs it.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

soakTests({
  label: 'Node',
  backends: [
    { backend: 'cpu', swapWith: 'wasm' },
    { backend: 'wasm', swapWith: 'cpu' },
  ],
  heap: async () => {
    // Two collections with a turn of the event loop between them, so finalisers run and their garbage goes too.
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    return process.memoryUsage().heapUsed;
  },
});
