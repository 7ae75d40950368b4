import { oracleParityTests } from '@basicrnn/test-kit/oracle';
import './index.js';

// Loads @tensorflow/tfjs (tfjs-layers): a page of its own; parity.browser.test.ts keeps core's gradients.
oracleParityTests({ backend: 'webgl', label: 'webgl (Chromium, WebGL2)' });
