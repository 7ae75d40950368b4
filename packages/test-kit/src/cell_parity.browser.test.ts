import { cellParityTests } from './cells/index.js';

cellParityTests({ backend: 'cpu', label: 'cpu (Chromium)' });
