import { cellParityTests } from '@basicrnn/test-kit/cells';
import './index.js';

cellParityTests({ backend: 'webgl', label: 'webgl (Chromium, WebGL2)' });
