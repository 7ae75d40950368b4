import { parityTests } from './index.js';

// core's gradients are the active ones here: the tfjs-layers comparison is parity_oracle.browser.test.ts, its own page.
parityTests({ backend: 'cpu', label: 'cpu (Chromium)' });
