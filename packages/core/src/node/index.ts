// @basicrnn/core/node: what only Node can do, kept out of browser bundles (node:fs). Importing it registers the
// file:// scheme with tfjs's IO routers, so `model.save('file://dir')` and `tf.io` both find the handler.
import * as tf from '@tensorflow/tfjs-core';
import { fileSystemRouter } from './file_system.js';

export { FILE_SCHEME, MODEL_JSON, fileSystem, fileSystemRouter } from './file_system.js';
export type { HashedWeightsGroup } from './file_system.js';

const registered = Symbol.for('basicrnn.fileSystemRouter');
const g = globalThis as { [registered]?: boolean };
// Once per process, even when two copies of this module load (tfjs's router registry is global).
if (!g[registered]) {
  g[registered] = true;
  tf.io.registerSaveRouter(fileSystemRouter);
  tf.io.registerLoadRouter(fileSystemRouter);
}
