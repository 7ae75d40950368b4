import '@basicrnn/backend-wasm';
import { soakTests } from '@basicrnn/test-kit/soak';
import { cdp } from 'vitest/browser';
import './index.js';

// Soak in Chromium, wasm and webgl (test-kit/src/soak.ts): 10,000 trainOnBatch steps and 200 backend swaps each,
// tensors and bytes exactly flat, the page's heap flat within the stated tolerance. Named *.soak.browser.test.ts so
// a fast run can leave soaks out with one pattern (*.soak*.test.ts); pnpm test runs it.

soakTests({
  label: 'Chromium',
  backends: [
    { backend: 'wasm', swapWith: 'cpu' },
    { backend: 'webgl', swapWith: 'cpu' },
  ],
  heap: async () => {
    // The provider (Playwright, Chromium) gives a CDP session; vitest's own type leaves its methods to the provider.
    const session = cdp() as unknown as { send(method: string): Promise<unknown> };
    await session.send('HeapProfiler.collectGarbage');
    await new Promise((resolve) => setTimeout(resolve, 0));
    await session.send('HeapProfiler.collectGarbage');
    return ((await session.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
  },
});
