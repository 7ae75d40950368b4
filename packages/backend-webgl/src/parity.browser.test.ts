import { parityTests } from '@basicrnn/test-kit';
import './index.js';

parityTests({ backend: 'webgl', label: 'webgl (Chromium, WebGL2)' });
