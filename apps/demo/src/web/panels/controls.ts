import type { OptimizerName } from '@basicrnn/core';
import type { Panel, PanelContext } from '../app.js';
import { $, fromHtml, plural, showMessage } from '../dom.js';
import type { ThreadReport } from '../protocol.js';
import {
  NUMBER_BOUNDS,
  THREAD_CHOICES,
  adaptToOptimizer,
  adaptToTask,
  effectiveInputSize,
  parseNumber,
  type NumberSetting,
  type Settings,
  type ThreadChoice,
  type WebBackend,
} from '../settings.js';
import { SENTIMENT_EMBEDDING_SIZE, VOCABULARY } from '../../tasks/index.js';

const TASK_HINTS: Record<Settings['task'], string> = {
  marker: 'A +2 or −2 spike on feature 0 early in the sequence, then noise: the label is its sign, so the RNN must remember it.',
  sine: 'Windows of a noisy sine wave (1 feature); the label is the next value. With return sequences, the next value at every step.',
  sentiment: `Short generated reviews with negations, read as token ids of a ${VOCABULARY.length}-word vocabulary (0 pads at the end): the CLI's model, an embedding (${SENTIMENT_EMBEDDING_SIZE} features per word, maskZero) → SimpleRNN → Dense.`,
};

function numberField(name: NumberSetting, label: string, extra = ''): string {
  const [min, max] = NUMBER_BOUNDS[name];
  const bounds = name === 'seed' ? '' : ` min="${min}" max="${max}"`;
  const mode = name === 'learningRate' ? 'decimal' : 'numeric';
  const step = name === 'learningRate' ? 'any' : '1';
  return `<div class="field">
    <label for="${name}">${label}</label>
    <input id="${name}" name="${name}" type="number"${bounds} step="${step}" inputmode="${mode}" aria-describedby="${name}-error" ${extra}/>
    <p class="field-error" id="${name}-error" hidden></p>
  </div>`;
}

/** The honest sentence about wasm threads: what was asked, what runs, and why. */
export function threadSentence(t: ThreadReport | null): string {
  if (t === null) return '';
  if (!t.crossOriginIsolated) return 'Threads need a cross-origin isolated page (COOP + COEP headers); here wasm runs one thread.';
  const cores = `the browser reports ${plural(t.cores, 'core')}`;
  if (t.got === undefined) return `Asked ${t.asked === 'auto' ? 'auto' : t.asked}; wasm has not started yet (${cores}).`;
  const asked = t.asked === 'auto' ? 'auto (tfjs chooses)' : String(t.asked);
  const why = t.asked !== 'auto' && t.got < t.asked ? ` — the pool never exceeds the cores: ${cores}` : `; ${cores}`;
  return `Asked ${asked}, got ${t.got}${why}. Changing it restarts the model worker; the model is kept.`;
}

/** The settings column: backend and threads, the model's shape, the training setup. Errors show beside their field. */
export const controlsPanel: Panel = {
  area: 'aside',
  mount({ state, app }: PanelContext) {
    const root = fromHtml(`<section class="controls" id="settings-panel" aria-labelledby="settings-title">
      <h2 id="settings-title" class="visually-hidden">Settings</h2>
      <form id="settings" novalidate>
        <fieldset class="card" id="backend-fields">
          <legend>Backend</legend>
          <div class="segmented" role="radiogroup" aria-label="Backend">
            <label><input type="radio" name="backend" value="cpu" /> <span>cpu</span></label>
            <label><input type="radio" name="backend" value="wasm" /> <span>wasm</span></label>
            <label><input type="radio" name="backend" value="webgl" /> <span>webgl</span></label>
          </div>
          <div class="field">
            <label for="threads">wasm threads</label>
            <select id="threads" name="threads" aria-describedby="threads-hint">
              ${THREAD_CHOICES.map((t) => `<option value="${t}">${t === 'auto' ? 'auto (tfjs)' : t}</option>`).join('')}
            </select>
          </div>
          <p class="hint" id="threads-hint" aria-live="polite"></p>
        </fieldset>
        <fieldset class="card" id="model-fields">
          <legend>Model</legend>
          <div class="field">
            <label for="task">Task</label>
            <select id="task" name="task" aria-describedby="task-hint">
              <option value="marker">marker: remember a ±2 spike</option>
              <option value="sine">sine: forecast the next value</option>
              <option value="sentiment">sentiment: short reviews</option>
            </select>
          </div>
          <p class="hint" id="task-hint"></p>
          <div class="grid2">
            ${numberField('hiddenSize', 'Hidden size')}
            ${numberField('outputSize', 'Output size')}
            ${numberField('seqLength', 'Sequence length')}
            ${numberField('inputSize', 'Input size')}
            ${numberField('seed', 'Seed')}
            ${numberField('batchSize', 'Batch size')}
          </div>
          <label class="check"><input id="returnSequences" name="returnSequences" type="checkbox" /> Return sequences</label>
          <button type="button" id="new-weights" class="secondary">New model (fresh weights)</button>
        </fieldset>
        <fieldset class="card" id="training-fields">
          <legend>Training</legend>
          <div class="field">
            <label for="loss">Loss</label>
            <select id="loss" name="loss">
              ${['binaryCrossentropy', 'sparseCategoricalCrossentropy', 'categoricalCrossentropy', 'meanSquaredError', 'meanAbsoluteError', 'huber'].map((l) => `<option value="${l}">${l}</option>`).join('')}
            </select>
          </div>
          <div class="grid2">
            <div class="field">
              <label for="optimizer">Optimizer</label>
              <select id="optimizer" name="optimizer">
                ${['adam', 'sgd', 'momentum', 'rmsprop', 'adamax', 'adagrad', 'adadelta'].map((o) => `<option value="${o}">${o}</option>`).join('')}
              </select>
            </div>
            ${numberField('learningRate', 'Learning rate')}
            ${numberField('epochs', 'Epochs')}
            ${numberField('samples', 'Examples')}
          </div>
          <p class="hint" id="optimizer-hint" aria-live="polite">Learning rates start at the Keras default of the optimizer (Adam 0.001, SGD 0.01); one you type stays when you change the optimizer.</p>
          <p class="hint">20% of the examples are held out for validation (dashed curves).</p>
        </fieldset>
      </form>
    </section>`);
    const form = $<HTMLFormElement>(root, '#settings');
    const input = (id: string) => $<HTMLInputElement>(root, `#${id}`);
    const select = (id: string) => $<HTMLSelectElement>(root, `#${id}`);
    const fieldError = (name: string, message: string | null) => {
      const target = input(name);
      if (message === null) target.removeAttribute('aria-invalid');
      else target.setAttribute('aria-invalid', 'true');
      showMessage($(root, `#${name}-error`), message);
    };

    const writeForm = (s: Settings) => {
      for (const name of Object.keys(NUMBER_BOUNDS) as NumberSetting[]) {
        const field = input(name);
        // Leave a field the user is fixing alone: its error stays beside it until a valid value comes.
        if (field.getAttribute('aria-invalid') === 'true') continue;
        field.value = String(name === 'inputSize' ? effectiveInputSize(s) : s[name]);
      }
      select('task').value = s.task;
      select('loss').value = s.loss;
      select('optimizer').value = s.optimizer;
      select('threads').value = String(s.threads);
      input('returnSequences').checked = s.returnSequences;
      $(root, '#task-hint').textContent = TASK_HINTS[s.task];
      input('inputSize').readOnly = s.task !== 'marker';
      input('inputSize').title = s.task === 'marker' ? '' : s.task === 'sentiment' ? 'Set by the sentiment task: the vocabulary size (the embedding reads token ids)' : `Set by the ${s.task} task`;
    };

    state.subscribe(['settings'], (s) => writeForm(s.settings));
    state.subscribe(['activity', 'backends', 'active', 'threads'], (s) => {
      const locked = s.activity !== 'idle';
      $<HTMLFieldSetElement>(root, '#model-fields').disabled = locked;
      $<HTMLFieldSetElement>(root, '#training-fields').disabled = locked;
      form.querySelectorAll<HTMLInputElement>('input[name="backend"]').forEach((r) => {
        r.disabled = locked || !s.backends.includes(r.value as WebBackend);
        r.checked = r.value === s.active;
      });
      select('threads').disabled = locked || s.threads?.crossOriginIsolated === false;
      $(root, '#threads-hint').textContent = threadSentence(s.threads);
    });

    form.addEventListener('submit', (e) => e.preventDefault());
    form.addEventListener('change', (e) => {
      const target = e.target as HTMLInputElement | HTMLSelectElement;
      const name = target.name;
      const s = state.get().settings;
      if (name === 'backend') {
        void app.guard(() => app.switchBackend(target.value as WebBackend));
      } else if (name === 'threads') {
        const threads = (target.value === 'auto' ? 'auto' : Number(target.value)) as ThreadChoice;
        if (THREAD_CHOICES.includes(threads)) void app.guard(() => app.changeThreads(threads));
      } else if (name === 'task') {
        const { settings, changes } = adaptToTask(s, target.value as Settings['task']);
        for (const n of Object.keys(NUMBER_BOUNDS)) fieldError(n, null);
        void app.guard(() => app.updateSettings(settings));
        if (changes.length > 0) $(root, '#task-hint').textContent = `${TASK_HINTS[settings.task]} Changed for this task: ${changes.join(', ')}.`;
      } else if (name in NUMBER_BOUNDS) {
        const parsed = parseNumber(name as NumberSetting, target.value);
        if ('error' in parsed) {
          fieldError(name, `${parsed.error[0]!.toUpperCase()}${parsed.error.slice(1)}; the previous value (${s[name as NumberSetting]}) stays in use.`);
          return;
        }
        if (name === 'inputSize' && s.task !== 'marker') {
          target.value = String(effectiveInputSize(s));
          fieldError(name, `The input size is set by the ${s.task} task.`);
          return;
        }
        fieldError(name, null);
        void app.guard(() => app.updateSettings({ [name]: parsed.value }));
      } else if (name === 'returnSequences') {
        void app.guard(() => app.updateSettings({ returnSequences: (target as HTMLInputElement).checked }));
      } else if (name === 'optimizer') {
        const { settings, changes } = adaptToOptimizer(s, target.value as OptimizerName);
        if (changes.length > 0) fieldError('learningRate', null);
        void app.guard(() => app.updateSettings(settings));
        $(root, '#optimizer-hint').textContent = changes.length > 0 ? `Changed with the optimizer: ${changes.join(', ')}.` : `The learning rate ${settings.learningRate} you set stays.`;
      } else if (name === 'loss') {
        void app.guard(() => app.updateSettings({ loss: target.value as Settings['loss'] }));
      }
    });
    $(root, '#new-weights').addEventListener('click', () => void app.guard(() => app.configure(true)));
    return root;
  },
};
