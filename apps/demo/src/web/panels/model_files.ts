import type { Panel } from '../app.js';
import { $, fromHtml } from '../dom.js';
import { architectureKey } from '../settings.js';

/** Where the trained model is kept in this browser (core's atomic IndexedDB handler). */
export const SAVED_MODEL_URL = 'indexeddb://basicrnn-demo-model';
/** What the page knows of the saved model: written only after a save has completed. */
const RECORD_KEY = 'basicrnn-demo/saved-model/v1';

interface SavedRecord {
  architecture: string;
  epochsDone: number;
  savedAt: string;
}

function readRecord(): SavedRecord | null {
  try {
    const value = JSON.parse(globalThis.localStorage?.getItem(RECORD_KEY) ?? 'null') as SavedRecord | null;
    return value !== null && typeof value.epochsDone === 'number' && typeof value.architecture === 'string' ? value : null;
  } catch {
    return null; // storage blocked or a damaged record: nothing to offer
  }
}

function writeRecord(record: SavedRecord): void {
  try {
    globalThis.localStorage?.setItem(RECORD_KEY, JSON.stringify(record));
  } catch {
    // Storage blocked: the model stays in IndexedDB, the page just cannot offer it after a reload.
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Keeping the model: saved in this browser after every training run (IndexedDB, atomically: a reload or a closed
 * tab in the middle of a save leaves the previous saved model whole), offered back after a reload; downloads of the
 * TF.js Layers files (model.json + weights.bin) and of model.onnx; upload of model files.
 */
export const modelFilesPanel: Panel = {
  area: 'main',
  mount({ state, engine, app }) {
    const root = fromHtml(`<section class="card" aria-labelledby="files-title">
      <h2 id="files-title">Keep the model</h2>
      <p class="hint">After training, the model is saved in this browser and offered back when you come again.</p>
      <p class="hint" id="files-model"></p>
      <p id="files-status" aria-live="polite"></p>
      <div class="actions">
        <button type="button" id="restore-model" hidden>Restore the saved model</button>
        <button type="button" id="prepare-downloads">Prepare downloads</button>
      </div>
      <ul id="download-links" hidden>
        <li><a id="download-model-json" download="model.json" href="#">model.json</a></li>
        <li><a id="download-weights" download="weights.bin" href="#">weights.bin</a></li>
        <li><a id="download-onnx" download="model.onnx" href="#">model.onnx (ONNX Runtime)</a></li>
      </ul>
      <p class="hint" id="onnx-inputs" hidden></p>
      <p>
        <label for="upload-model">Load model files (model.json and weights.bin, TF.js Layers format):</label>
        <input type="file" id="upload-model" multiple accept=".json,.bin">
      </p>
    </section>`);
    const status = $(root, '#files-status');
    const restore = $<HTMLButtonElement>(root, '#restore-model');
    const prepare = $<HTMLButtonElement>(root, '#prepare-downloads');
    const upload = $<HTMLInputElement>(root, '#upload-model');
    const links = $(root, '#download-links');
    const urls: string[] = [];
    const setStatus = (text: string, savedState?: string) => {
      status.textContent = text;
      if (savedState !== undefined) status.dataset.state = savedState;
    };

    const offer = () => {
      const record = readRecord();
      restore.hidden = record === null;
      if (record !== null) {
        const when = new Date(record.savedAt).toLocaleString();
        setStatus(`A model trained for ${plural(record.epochsDone, 'epoch')} is saved in this browser (${when}).`, 'offered');
      }
    };

    // A failed save (storage full or blocked, the worker restarted for a new thread count) is this panel's news, not
    // the page's error: the previous saved model is still there, and the page goes on working.
    const save = async () => {
      const s = state.get();
      setStatus('Saving the model in this browser…', 'saving');
      try {
        await engine.call('saveModel', { url: SAVED_MODEL_URL });
      } catch (e) {
        setStatus(`Not saved in this browser (the previous saved model is kept): ${e instanceof Error ? e.message : String(e)}`, 'not-saved');
        return;
      }
      writeRecord({ architecture: architectureKey(s.settings), epochsDone: s.epochsDone, savedAt: new Date().toISOString() });
      restore.hidden = true;
      setStatus(`Saved in this browser after ${plural(s.epochsDone, 'epoch')}.`, 'saved');
    };

    let previous = state.get().activity;
    state.subscribe(['activity'], (s) => {
      const was = previous;
      previous = s.activity;
      if (was === 'starting' && s.activity === 'idle') offer();
      if (was === 'training' && s.activity === 'idle' && s.epochsDone > 0) void save();
      const busy = s.activity !== 'idle';
      restore.disabled = busy;
      prepare.disabled = busy;
      upload.disabled = busy;
    });
    // Every action here acts on the worker's current model: say which one (the sentiment task's is another model).
    state.subscribe(['modelKind'], (s) => {
      const k = s.modelKind;
      $(root, '#files-model').textContent =
        k === null
          ? ''
          : `These act on the current model, ${k.kind === 'sequential' ? 'a sequential model' : 'a BasicRNN'} on ${k.input === 'tokenIds' ? 'token ids' : 'vectors'}: ${k.layers.join(' → ')}. Loading takes a model of the same kind and sizes${k.input === 'tokenIds' ? ', with any of the CLI’s cells (--cell simpleRNN, lstm or gru)' : ''}.`;
    });
    state.subscribe(['weightsVersion'], () => {
      // The files describe the weights they were made from: new weights, new downloads.
      links.hidden = true;
      $(root, '#onnx-inputs').hidden = true;
      for (const url of urls.splice(0)) URL.revokeObjectURL(url);
    });

    restore.addEventListener('click', () =>
      void app.guard(async () => {
        const record = readRecord();
        if (record === null) return;
        setStatus('Restoring the saved model…', 'restoring');
        const model = await engine.call('loadModel', { settings: state.get().settings, url: SAVED_MODEL_URL, epochsDone: record.epochsDone });
        app.adoptModel(model);
        restore.hidden = true;
        setStatus(`Restored the model saved after ${plural(record.epochsDone, 'epoch')}.`, 'restored');
      }),
    );

    prepare.addEventListener('click', () =>
      void app.guard(async () => {
        const files = await engine.call('exportModel', {});
        for (const url of urls.splice(0)) URL.revokeObjectURL(url);
        const link = (id: string, blob: Blob) => {
          const url = URL.createObjectURL(blob);
          urls.push(url);
          $<HTMLAnchorElement>(root, id).href = url;
        };
        link('#download-model-json', new Blob([files.modelJson], { type: 'application/json' }));
        link('#download-weights', new Blob([files.weights], { type: 'application/octet-stream' }));
        link('#download-onnx', new Blob([files.onnx as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
        links.hidden = false;
        const inputs = $(root, '#onnx-inputs');
        inputs.textContent = `model.onnx takes ${files.onnxInputs}.`;
        inputs.hidden = false;
        setStatus('The files of the current weights are ready: download each below.');
      }),
    );

    upload.addEventListener('change', () =>
      void app.guard(async () => {
        const files = [...(upload.files ?? [])];
        upload.value = '';
        if (files.length === 0) return;
        setStatus(`Loading ${files.map((f) => f.name).join(', ')}…`, 'loading');
        try {
          const model = await engine.call('loadModel', { settings: state.get().settings, files, epochsDone: 0 });
          app.adoptModel(model);
          setStatus(`Loaded the model from ${files.map((f) => f.name).join(' and ')}.`, 'uploaded');
        } catch (e) {
          setStatus('The files could not be loaded (see the message at the top).', 'failed');
          throw e;
        }
      }),
    );
    return root;
  },
};
