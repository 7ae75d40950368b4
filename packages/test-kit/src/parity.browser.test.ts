import { parityTests } from './index.js';

parityTests({ backend: 'cpu', label: 'cpu (Chromium)' });
