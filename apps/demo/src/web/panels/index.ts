import type { Panel } from '../app.js';
import { controlsPanel } from './controls.js';
import { forwardPanel } from './forward.js';
import { introPanel } from './intro.js';
import { longDependencyPanel } from './long_dependency.js';
import { modelPanel } from './model.js';
import { modelFilesPanel } from './model_files.js';
import { parityPanel } from './parity.js';
import { reportPanel } from './report.js';
import { sentimentPanel } from './sentiment.js';
import { trainingPanel } from './training.js';

/**
 * The app's panels in page order. A panel is one module exporting a {@link Panel}; adding one is that module and
 * one line here. Panels talk to each other only through the state object (state.ts) and to the model only through
 * the worker's commands (protocol.ts).
 */
export const PANELS: readonly Panel[] = [
  controlsPanel,
  introPanel,
  forwardPanel,
  trainingPanel,
  modelPanel,
  modelFilesPanel,
  sentimentPanel,
  parityPanel,
  longDependencyPanel,
  reportPanel,
];
