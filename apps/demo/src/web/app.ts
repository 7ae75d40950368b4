import * as tf from '@tensorflow/tfjs-core';
import { BasicRNN, NonFiniteError, getBackend, type Callback, type LossName } from '@basicrnn/core';
import {
  plotBackendChart,
  plotHiddenStates,
  plotRnnWorking,
  plotTrainingCurves,
  plotWeights,
  trainingCurvesCallback,
  type BackendResult,
  type HiddenStatesData,
  type RnnWorkingData,
  type TrainingCurvesCallback,
  type TrainingHistory,
  type VizHandle,
} from '@basicrnn/viz';
import { VOCABULARY, encode, tokenize } from '../tasks/index.js';
import { vizFont } from './assets.js';
import { activateBackend, availableBackends, pageFacts, reportedInfo, runParity, setUpWasm, type ParityRow, type ReportedInfo } from './backends.js';
import { positiveProbability, randomInput, taskInput, taskTensors, type TaskTensors } from './data.js';
import { byId, diffText, el, errorText, msText, shapeText, showMessage } from './dom.js';
import { decodeFloat32, encodeFloat32, loadSettings, saveModelSnapshot, saveSettings, takeModelSnapshot } from './persist.js';
import {
  NUMBER_BOUNDS,
  REGRESSION_LOSSES,
  THREAD_CHOICES,
  adaptToTask,
  architectureKey,
  effectiveInputSize,
  parseNumber,
  trainingProblem,
  type NumberSetting,
  type Settings,
  type ThreadChoice,
  type WebBackend,
} from './settings.js';

/** Parity passes when every backend is this close to cpu (float32 everywhere; webgl's GLSL tanh is the loosest). */
const PARITY_TOLERANCE = 1e-4;
const VALIDATION_SPLIT = 0.2;

const TASK_HINTS: Record<Settings['task'], string> = {
  marker: 'A +2 or −2 spike on feature 0 early in the sequence, then noise: the label is its sign, so the RNN must remember it.',
  sine: 'Windows of a noisy sine wave (1 feature); the label is the next value. With return sequences, the next value at every step.',
  sentiment: `Short generated reviews with negations; each word is one-hot over a ${VOCABULARY.length}-word vocabulary.`,
};

function metricsFor(loss: LossName): ('accuracy' | 'mae')[] {
  return REGRESSION_LOSSES.includes(loss) ? ['mae'] : ['accuracy'];
}

interface TrainingRun {
  controller: AbortController;
  stopRequestedAt: number | null;
}

/** The web app: one model, the controls that shape and train it, and the views that show it working. */
export class DemoApp {
  private settings: Settings;
  private model!: BasicRNN;
  private architecture = '';
  private compiledKey: string | null = null;
  private data: { key: string; tensors: TaskTensors } | null = null;
  private epochsDone = 0;
  /** Epoch count an interrupted run was heading for; Resume trains up to it. */
  private resumeTarget: number | null = null;
  private run: TrainingRun | null = null;
  private busy = false;
  private readonly infoByBackend = new Map<string, ReportedInfo>();
  private readonly curves: VizHandle<TrainingHistory>;
  private readonly curvesCallback: TrainingCurvesCallback;
  private working: { handle: VizHandle<RnnWorkingData>; label: string } | null = null;
  private hidden: VizHandle<HiddenStatesData> | null = null;
  private weightsView: VizHandle<Parameters<typeof plotWeights>[1]> | null = null;
  private parityChart: VizHandle<readonly BackendResult[]> | null = null;
  private lastStopLatencyMs: number | null = null;
  private sentenceTimer: ReturnType<typeof setTimeout> | undefined;

  private readonly form = byId<HTMLFormElement>('settings');

  constructor() {
    this.settings = loadSettings();
    const snapshot = takeModelSnapshot();
    // The thread count must reach tfjs before anything starts the wasm module.
    setUpWasm(this.settings.threads);
    this.curves = plotTrainingCurves('#curves-plot', { epoch: [], history: {} }, { font: vizFont, title: 'Loss and metrics per epoch' });
    this.curvesCallback = trainingCurvesCallback(this.curves);
    this.writeForm();
    this.buildModel();
    if (snapshot !== null && snapshot.architecture === this.architecture) {
      const weights = snapshot.weights.map((w) => tf.tensor(decodeFloat32(w.data), w.shape, 'float32'));
      try {
        this.model.setWeights(weights);
        snapshot.history.epoch.forEach((epoch, i) => {
          const logs = Object.fromEntries(Object.entries(snapshot.history.history).map(([k, v]) => [k, v[i] ?? NaN]));
          this.curvesCallback.onEpochEnd(epoch, logs);
        });
        this.epochsDone = snapshot.epochsDone;
        if (this.epochsDone > 0 && trainingProblem(this.settings) === null) this.showHiddenStates(this.model, this.ensureData().probe);
        this.setTrainStatus(`Restored the model after the reload: ${this.epochsDone} epoch${this.epochsDone === 1 ? '' : 's'} trained (the optimizer starts afresh).`);
      } catch (e) {
        this.showError(`Could not restore the model's weights: ${errorText(e)}`);
      } finally {
        tf.dispose(weights);
      }
    }
    this.renderModel();
    this.wire();
  }

  /** Starts the chosen backend; the page is ready for input once this resolves. */
  async start(): Promise<void> {
    const facts = pageFacts();
    byId('page-facts').textContent =
      `This page is ${facts.crossOriginIsolated ? '' : 'not '}cross-origin isolated` +
      `${facts.crossOriginIsolated ? ' (COOP + COEP), so wasm can run threads' : ', so wasm runs one thread'}; ` +
      `the browser reports ${facts.hardwareConcurrency} logical core${facts.hardwareConcurrency === 1 ? '' : 's'}.`;
    // cpu is active from core's import on: report it too, before switching to the chosen backend.
    this.infoByBackend.set(getBackend(), reportedInfo());
    await this.switchBackend(this.settings.backend);
    this.refreshControls();
    this.refreshMemory();
    this.predictSentence();
    document.body.dataset.ready = 'true';
  }

  // ---- settings ------------------------------------------------------------------------------------------------

  private writeForm(): void {
    const s = this.settings;
    for (const name of Object.keys(NUMBER_BOUNDS) as NumberSetting[]) {
      const input = byId<HTMLInputElement>(name);
      input.value = String(name === 'inputSize' ? effectiveInputSize(s) : s[name]);
      input.removeAttribute('aria-invalid');
    }
    byId<HTMLSelectElement>('task').value = s.task;
    byId<HTMLSelectElement>('loss').value = s.loss;
    byId<HTMLSelectElement>('optimizer').value = s.optimizer;
    byId<HTMLSelectElement>('threads').value = String(s.threads);
    byId<HTMLSelectElement>('exampleInput').value = s.exampleInput;
    byId<HTMLInputElement>('returnSequences').checked = s.returnSequences;
    byId<HTMLInputElement>('sentence').value = s.sentence;
    byId('task-hint').textContent = TASK_HINTS[s.task];
    byId<HTMLInputElement>('inputSize').title = s.task === 'marker' ? '' : `Set by the ${s.task} task`;
  }

  private wire(): void {
    this.form.addEventListener('submit', (e) => e.preventDefault());
    this.form.addEventListener('change', (e) => this.onSettingChange(e.target as HTMLInputElement | HTMLSelectElement));
    // Belongs to the form through its form="settings" attribute, but its events bubble where it sits.
    byId('exampleInput').addEventListener('change', (e) => this.onSettingChange(e.target as HTMLSelectElement));
    byId('new-weights').addEventListener('click', () => {
      this.buildModel();
      this.renderModel();
      this.refreshForwardPass();
      this.setTrainStatus('New model: weights drawn again from the seed.');
    });
    byId('forward').addEventListener('click', () => this.guard(() => this.forwardPass()));
    byId('train').addEventListener('click', () => void this.guard(() => this.train()));
    byId('stop').addEventListener('click', () => this.stop());
    byId('parity').addEventListener('click', () => void this.guard(() => this.parity()));
    byId('weights-details').addEventListener('toggle', () => this.renderWeights());
    byId('sentiment-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.predictSentence();
    });
    byId('sentence').addEventListener('input', () => {
      this.settings.sentence = byId<HTMLInputElement>('sentence').value;
      saveSettings(this.settings);
      clearTimeout(this.sentenceTimer);
      this.sentenceTimer = setTimeout(() => this.predictSentence(), 150);
    });
    window.addEventListener('unhandledrejection', (e) => this.showError(errorText(e.reason)));
  }

  private onSettingChange(target: HTMLInputElement | HTMLSelectElement): void {
    const name = target.name;
    const s = this.settings;
    showMessage(byId('settings-error'), null);
    if (name === 'backend') {
      void this.guard(() => this.switchBackend(target.value as WebBackend));
      return;
    }
    if (name === 'threads') {
      this.changeThreads(target.value === 'auto' ? 'auto' : (Number(target.value) as ThreadChoice));
      return;
    }
    if (name === 'task') {
      const { settings, changes } = adaptToTask(s, target.value as Settings['task']);
      this.settings = settings;
      this.writeForm();
      if (changes.length > 0) this.setTrainStatus(`For the ${settings.task} task: ${changes.join(', ')}.`);
    } else if (name in NUMBER_BOUNDS) {
      const parsed = parseNumber(name as NumberSetting, target.value);
      if ('error' in parsed) {
        target.setAttribute('aria-invalid', 'true');
        const label = document.querySelector(`label[for="${target.id}"]`)?.textContent ?? name;
        showMessage(byId('settings-error'), `${label}: ${parsed.error}. The previous value stays in use.`);
        return;
      }
      target.removeAttribute('aria-invalid');
      if (name === 'inputSize' && s.task !== 'marker') {
        target.value = String(effectiveInputSize(s));
        showMessage(byId('settings-error'), `The input size is set by the ${s.task} task.`);
        return;
      }
      s[name as NumberSetting] = parsed.value;
    } else if (name === 'returnSequences') {
      s.returnSequences = (target as HTMLInputElement).checked;
    } else if (name === 'loss' || name === 'optimizer') {
      (s as unknown as Record<string, string>)[name] = target.value;
    } else if (name === 'exampleInput') {
      s.exampleInput = target.value as Settings['exampleInput'];
    } else {
      return;
    }
    saveSettings(this.settings);
    if (architectureKey(this.settings) !== this.architecture) {
      this.buildModel();
      this.renderModel();
      this.refreshForwardPass();
    } else if (name === 'exampleInput' || name === 'batchSize' || name === 'loss') {
      this.refreshForwardPass();
    }
    this.refreshControls();
    this.predictSentence();
  }

  /** tfjs fixes the wasm thread count per page load: keep the model and settings, then reload. */
  private changeThreads(threads: ThreadChoice): void {
    if (!THREAD_CHOICES.includes(threads)) return;
    this.settings.threads = threads;
    // Come back on wasm, where the new thread count shows.
    this.settings.backend = 'wasm';
    saveSettings(this.settings);
    const weights = this.model.getWeights();
    saveModelSnapshot({
      architecture: this.architecture,
      weights: weights.map((w) => ({ shape: w.shape, data: encodeFloat32(w.dataSync() as Float32Array) })),
      history: this.curvesCallback.history as { epoch: number[]; history: Record<string, number[]> },
      epochsDone: this.epochsDone,
    });
    tf.dispose(weights);
    this.setTrainStatus(`Reloading with ${threads} wasm thread${threads === 1 ? '' : 's'}…`);
    location.reload();
  }

  // ---- model ---------------------------------------------------------------------------------------------------

  private buildModel(): void {
    const s = this.settings;
    this.model?.dispose();
    this.model = new BasicRNN({ hiddenSize: s.hiddenSize, outputSize: s.outputSize, returnSequences: s.returnSequences, seed: s.seed });
    this.model.build([null, s.seqLength, effectiveInputSize(s)]);
    this.architecture = architectureKey(s);
    this.compiledKey = null;
    this.epochsDone = 0;
    this.resumeTarget = null;
    this.curvesCallback.reset();
    this.hidden?.dispose();
    this.hidden = null;
    byId('hidden-plot').replaceChildren(el('p', 'The hidden state of a held-out example appears here after each epoch.', { class: 'empty' }));
    this.setTrainStatus('Not trained yet.');
  }

  /** Redraws the forward pass with the current model, if the user has run one (the panel stays live). */
  private refreshForwardPass(): void {
    if (this.working !== null) this.forwardPass();
  }

  private renderModel(): void {
    byId('summary').textContent = this.model.summary({ printFn: () => {} });
    this.renderWeights();
    this.refreshMemory();
  }

  private renderWeights(): void {
    if (!(byId<HTMLDetailsElement>('weights-details').open)) return;
    const named = this.model.getNamedWeights();
    const data = { kernel: named.kernel!, recurrentKernel: named.recurrentKernel!, ...(named.bias ? { bias: named.bias } : {}) };
    if (this.weightsView === null) this.weightsView = plotWeights('#weights-plot', data, { font: vizFont });
    else this.weightsView.update(data);
    tf.dispose(Object.values(named));
  }

  // ---- backends ------------------------------------------------------------------------------------------------

  private async switchBackend(name: WebBackend): Promise<void> {
    const pill = byId('backend-pill');
    pill.textContent = `starting ${name}…`;
    try {
      await activateBackend(name);
      this.settings.backend = name;
      saveSettings(this.settings);
    } catch (e) {
      this.showError(errorText(e));
    }
    this.infoByBackend.set(getBackend(), reportedInfo());
    this.renderBackendInfo();
    this.refreshControls();
  }

  private renderBackendInfo(): void {
    const active = getBackend();
    const info = this.infoByBackend.get(active);
    const radios = this.form.querySelectorAll<HTMLInputElement>('input[name="backend"]');
    radios.forEach((r) => (r.checked = r.value === active));
    const pill = byId('backend-pill');
    const parts = [active];
    if (info?.simd !== undefined) parts.push(info.simd ? 'SIMD' : 'no SIMD');
    if (info?.threads !== undefined) parts.push(`${info.threads} thread${info.threads === 1 ? '' : 's'}`);
    if (info?.webglVersion !== undefined) parts.push(`WebGL ${info.webglVersion}`);
    if (info?.float32Textures !== undefined) parts.push(info.float32Textures ? 'float32 textures' : 'float16 textures');
    pill.textContent = parts.join(' · ');
    pill.dataset.backend = active;

    const yesNo = (v: boolean | undefined) => (v === undefined ? '–' : v ? 'yes' : 'no');
    const tbody = byId('backend-table').querySelector('tbody')!;
    tbody.replaceChildren(
      ...availableBackends().map((name) => {
        const i = this.infoByBackend.get(name);
        const row = el('tr', undefined, { 'data-backend': name });
        if (name === active) row.classList.add('active');
        const head = el('th', name, { scope: 'row' });
        if (name === active) head.append(el('span', 'active', { class: 'tag' }));
        row.append(head);
        if (!i) {
          const td = el('td', 'not started yet', { class: 'muted' });
          td.colSpan = 7;
          row.append(td);
          return row;
        }
        const cells = [
          yesNo(i.simd),
          i.threads === undefined ? '–' : String(i.threads),
          i.binary?.replace(/^tfjs-backend-|\.wasm$/g, '') ?? '–',
          i.webglVersion === undefined ? '–' : String(i.webglVersion),
          i.floatPrecision === undefined ? '–' : `${i.floatPrecision} bit`,
          yesNo(i.float32Textures),
          yesNo(i.fusedKernels),
        ];
        const fields = ['simd', 'threads', 'binary', 'webglVersion', 'floatPrecision', 'float32Textures', 'fusedKernels'];
        row.append(...cells.map((c, k) => el('td', c, { 'data-field': fields[k]! })));
        return row;
      }),
    );
  }

  // ---- forward pass --------------------------------------------------------------------------------------------

  private forwardPass(): void {
    const s = this.settings;
    const x = s.exampleInput === 'random' ? randomInput(s) : taskInput(s);
    const t0 = performance.now();
    const { output, state, hiddenStates } = this.model.call(x, { returnHiddenStates: true });
    output.dataSync();
    const ms = performance.now() - t0;
    byId('input-shape').textContent = shapeText(x.shape);
    byId('output-shape').textContent = shapeText(output.shape);
    byId('state-shape').textContent = shapeText(state.shape);
    byId('forward-time').textContent = `${msText(ms)} on ${getBackend()}`;
    const label = REGRESSION_LOSSES.includes(s.loss) ? 'output value' : 'logit';
    const data: RnnWorkingData = { input: x, output, state, example: 0 };
    if (this.working === null || this.working.label !== label) {
      this.working?.handle.dispose();
      byId('working-plot').replaceChildren();
      this.working = { handle: plotRnnWorking('#working-plot', data, { font: vizFont, outputLabel: label }), label };
    } else {
      this.working.handle.update(data);
    }
    tf.dispose([x, output, state, hiddenStates!]);
    byId('working-plot').dataset.runs = String(Number(byId('working-plot').dataset.runs ?? 0) + 1);
    this.refreshMemory();
  }

  // ---- training ------------------------------------------------------------------------------------------------

  private ensureCompiled(): void {
    const s = this.settings;
    const key = JSON.stringify([s.loss, s.optimizer, s.learningRate]);
    if (this.compiledKey === key) return;
    this.model.compile({ optimizer: s.optimizer, learningRate: s.learningRate, loss: s.loss, metrics: metricsFor(s.loss) });
    this.compiledKey = key;
  }

  private ensureData(): TaskTensors {
    const s = this.settings;
    const key = JSON.stringify([s.task, s.samples, s.seqLength, effectiveInputSize(s), s.seed, s.returnSequences, s.loss]);
    if (this.data?.key !== key) {
      this.data?.tensors.dispose();
      this.data = { key, tensors: taskTensors(s) };
    }
    return this.data.tensors;
  }

  private async train(): Promise<void> {
    const s = this.settings;
    const problem = trainingProblem(s);
    if (problem !== null) {
      this.setTrainStatus(problem);
      return;
    }
    this.ensureCompiled();
    const data = this.ensureData();
    const target = this.resumeTarget ?? this.epochsDone + s.epochs;
    const epochs = target - this.epochsDone;
    const trainCount = Math.floor(s.samples * (1 - VALIDATION_SPLIT));
    const batches = Math.ceil(trainCount / s.batchSize);
    const run: TrainingRun = { controller: new AbortController(), stopRequestedAt: null };
    this.run = run;
    this.resumeTarget = target;
    this.refreshControls();
    const progress = byId<HTMLProgressElement>('train-progress');
    progress.max = batches;
    const model = this.model;
    const callbacks: Callback[] = [
      this.curvesCallback,
      {
        onEpochBegin: () => {
          progress.value = 0;
          this.setTrainStatus(`Epoch ${this.epochsDone + 1}/${target} on ${getBackend()}…`);
        },
        onBatchEnd: (batch) => {
          progress.value = batch + 1;
        },
        onEpochEnd: (_epoch, logs) => {
          this.epochsDone++;
          const text = Object.entries(logs).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' · ');
          this.setTrainStatus(`Epoch ${this.epochsDone}/${target}: ${text}`);
          this.showHiddenStates(model, data.probe);
          byId('train-status').dataset.epochs = String(this.epochsDone);
        },
      },
    ];
    const t0 = performance.now();
    try {
      await model.fit(data.x, data.y, { epochs, batchSize: s.batchSize, validationSplit: VALIDATION_SPLIT, callbacks, signal: run.controller.signal });
      if (run.stopRequestedAt !== null) {
        this.lastStopLatencyMs = performance.now() - run.stopRequestedAt;
        byId('train-status').dataset.stopLatencyMs = this.lastStopLatencyMs.toFixed(1);
        this.setTrainStatus(
          `Stopped after ${this.epochsDone} of ${target} epochs (the stop took ${msText(this.lastStopLatencyMs)}). Resume continues with the same model and optimizer.`,
        );
      } else {
        this.resumeTarget = null;
        this.setTrainStatus(`${this.statusLine()} · done in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${getBackend()}`);
      }
    } catch (e) {
      this.resumeTarget = null;
      if (e instanceof NonFiniteError) this.setTrainStatus(e.message);
      else throw e;
    } finally {
      this.run = null;
      progress.value = 0;
      byId('train-status').dataset.state = 'idle';
      this.renderWeights();
      this.refreshForwardPass();
      this.refreshControls();
      this.predictSentence();
      this.refreshMemory();
    }
  }

  private statusLine(): string {
    const h = this.curvesCallback.history;
    const last = h.epoch.length - 1;
    const text = Object.entries(h.history).map(([k, v]) => `${k} ${(v[last] ?? NaN).toFixed(4)}`).join(' · ');
    return `Epoch ${this.epochsDone}: ${text}`;
  }

  private stop(): void {
    if (this.run === null || this.run.stopRequestedAt !== null) return;
    this.run.stopRequestedAt = performance.now();
    this.run.controller.abort();
    this.setTrainStatus('Stopping after the current batch…');
  }

  private showHiddenStates(model: BasicRNN, probe: tf.Tensor3D): void {
    const { output, state, hiddenStates } = model.call(probe, { returnHiddenStates: true });
    const data: HiddenStatesData = { hiddenStates: hiddenStates!, example: 0 };
    if (this.hidden === null) {
      byId('hidden-plot').replaceChildren();
      this.hidden = plotHiddenStates('#hidden-plot', data, {
        font: vizFont,
        title: 'Hidden state of a held-out example, redrawn after every epoch',
      });
    } else {
      this.hidden.update(data);
    }
    byId('hidden-plot').dataset.epoch = String(this.epochsDone);
    tf.dispose([output, state, hiddenStates!]);
  }

  // ---- sentiment -----------------------------------------------------------------------------------------------

  private predictSentence(): void {
    const s = this.settings;
    const target = byId('sentiment-result');
    const button = byId<HTMLButtonElement>('predict');
    if (s.task !== 'sentiment' || this.model.inputSize !== VOCABULARY.length) {
      button.disabled = true;
      target.replaceChildren(el('p', 'Choose the sentiment task and train a few epochs, then type a review.', { class: 'hint' }));
      return;
    }
    button.disabled = false;
    const sentence = byId<HTMLInputElement>('sentence').value;
    const words = sentence.toLowerCase().split(/[^a-z']+/).filter((w) => w.length > 0);
    const tokens = tokenize(sentence);
    if (tokens.length === 0) {
      target.replaceChildren(el('p', 'Type a few words, e.g. “i did not like the film”.', { class: 'hint' }));
      return;
    }
    const x = tf.tensor3d(encode([sentence], s.seqLength), [1, s.seqLength, VOCABULARY.length]);
    const out = this.model.predict(x);
    const values = out.dataSync();
    tf.dispose([x, out]);
    // With return sequences the head runs at every step: the last step has read the whole sentence.
    const last = s.returnSequences ? values.subarray(values.length - s.outputSize) : values;
    const p = positiveProbability(last as Float32Array, s.loss);
    const verdict = p >= 0.5 ? 'positive' : 'negative';
    const meter = el('div', undefined, { class: 'meter', role: 'img', 'aria-label': `probability positive ${(p * 100).toFixed(1)}%` });
    const fill = el('div', undefined, { class: 'meter-fill' });
    fill.style.width = `${(p * 100).toFixed(1)}%`;
    meter.append(fill);
    const headline = el('p', undefined, { class: `verdict ${verdict}` });
    headline.append(el('strong', `${verdict}`), ` · P(positive) = `, el('output', `${(p * 100).toFixed(1)}%`, { id: 'sentiment-probability', 'data-p': String(p) }));
    const chips = el('p', undefined, { class: 'tokens', 'aria-label': 'Words as the model reads them' });
    const kept = tokens.length > s.seqLength ? tokens.length - s.seqLength : 0;
    words.forEach((w, i) => {
      const known = tokens[i] !== 1;
      const chip = el('span', w, { class: `chip${known ? '' : ' unknown'}${i < kept ? ' dropped' : ''}` });
      if (!known) chip.title = 'not in the vocabulary: read as <unk>';
      if (i < kept) chip.title = `beyond the last ${s.seqLength} words: not read`;
      chips.append(chip);
    });
    const notes: HTMLElement[] = [];
    if (this.epochsDone === 0) notes.push(el('p', 'The model is untrained: this probability means nothing yet.', { class: 'hint' }));
    if (words.some((_, i) => tokens[i] === 1)) notes.push(el('p', 'Struck-through words are not in the vocabulary.', { class: 'hint' }));
    if (kept > 0) notes.push(el('p', `Only the last ${s.seqLength} words are read (the sequence length).`, { class: 'hint' }));
    target.replaceChildren(headline, meter, chips, ...notes);
  }

  // ---- parity --------------------------------------------------------------------------------------------------

  private async parity(): Promise<void> {
    const s = this.settings;
    this.busy = true;
    this.refreshControls();
    const tbody = byId('parity-table').querySelector('tbody')!;
    tbody.replaceChildren();
    byId('parity').textContent = 'Running…';
    const x = s.exampleInput === 'random' ? randomInput(s) : taskInput(s);
    try {
      const rows = await runParity(this.model, x, (row) => {
        if (row.error === undefined) this.infoByBackend.set(row.name, reportedInfo());
        tbody.append(this.parityRow(row));
      });
      const results = rows.filter((r) => r.error === undefined).map(({ backend, forwardMs, trainMs, maxAbsDiff }) => ({ backend, forwardMs, trainMs, maxAbsDiff }) as BackendResult);
      const options = {
        font: vizFont,
        tolerance: PARITY_TOLERANCE,
        reference: 'cpu',
        subtitle: `input ${shapeText(x.shape)}, median of several runs; a training step here is forward + gradients of every weight`,
      } as const;
      this.parityChart?.dispose();
      this.parityChart = plotBackendChart('#parity-plot', results, options);
      byId('parity-plot').dataset.done = 'true';
    } finally {
      x.dispose();
      this.busy = false;
      byId('parity').textContent = 'Run on every backend';
      this.renderBackendInfo();
      this.refreshControls();
      this.refreshMemory();
    }
  }

  private parityRow(row: ParityRow): HTMLTableRowElement {
    const tr = el('tr', undefined, { 'data-backend': row.name });
    tr.append(el('th', row.backend, { scope: 'row' }));
    if (row.error !== undefined) {
      const td = el('td', row.error, { class: 'error-cell' });
      td.colSpan = 3;
      tr.append(td);
      return tr;
    }
    const diff = el('td', row.maxAbsDiff === undefined ? 'no cpu reference' : diffText(row.maxAbsDiff), {
      'data-field': 'maxAbsDiff',
      'data-value': String(row.maxAbsDiff),
    });
    if (row.maxAbsDiff !== undefined) {
      const ok = row.maxAbsDiff <= PARITY_TOLERANCE;
      diff.append(el('span', ok ? 'within 1e-4' : 'over 1e-4', { class: `tag ${ok ? 'ok' : 'bad'}` }));
    }
    tr.append(diff, el('td', (row.forwardMs ?? NaN).toFixed(2)), el('td', (row.trainMs ?? NaN).toFixed(2)));
    return tr;
  }

  // ---- shared --------------------------------------------------------------------------------------------------

  /** Enables what can be used now: nothing that switches backends or reshapes the model while training runs. */
  private refreshControls(): void {
    const training = this.run !== null;
    const locked = training || this.busy;
    byId<HTMLFieldSetElement>('model-fields').disabled = locked;
    byId<HTMLFieldSetElement>('training-fields').disabled = locked;
    this.form.querySelectorAll<HTMLInputElement>('input[name="backend"]').forEach((r) => {
      r.disabled = locked || !availableBackends().includes(r.value as WebBackend);
    });
    const facts = pageFacts();
    const threads = byId<HTMLSelectElement>('threads');
    threads.disabled = locked || !facts.crossOriginIsolated;
    byId('threads-hint').textContent = facts.crossOriginIsolated
      ? 'Changing it reloads the page (tfjs fixes the thread count when wasm first starts); the model and settings are kept.'
      : 'Threads need a cross-origin isolated page (COOP + COEP headers); here wasm runs one thread.';
    byId<HTMLSelectElement>('exampleInput').disabled = this.busy;
    byId<HTMLButtonElement>('forward').disabled = this.busy;
    byId<HTMLButtonElement>('parity').disabled = locked;
    const train = byId<HTMLButtonElement>('train');
    const stop = byId<HTMLButtonElement>('stop');
    const problem = trainingProblem(this.settings);
    train.disabled = locked || problem !== null;
    stop.disabled = !training;
    byId('train-problem').textContent = problem ?? '';
    const s = this.settings;
    train.textContent =
      this.resumeTarget !== null && !training
        ? `Resume (${this.resumeTarget - this.epochsDone} epoch${this.resumeTarget - this.epochsDone === 1 ? '' : 's'} left)`
        : this.epochsDone > 0 && !training
          ? `Train ${s.epochs} more epoch${s.epochs === 1 ? '' : 's'}`
          : `Train ${s.epochs} epoch${s.epochs === 1 ? '' : 's'}`;
    byId('train-status').dataset.state = training ? 'training' : 'idle';
    byId<HTMLInputElement>('inputSize').readOnly = s.task !== 'marker';
  }

  private setTrainStatus(text: string): void {
    byId('train-status').textContent = text;
  }

  private showError(message: string): void {
    showMessage(byId('app-error'), message);
  }

  private refreshMemory(): void {
    const m = tf.memory();
    byId('memory').textContent = `${m.numTensors} tensors in memory on ${getBackend()}`;
  }

  /** Runs an action, showing a failure on the page instead of losing it. */
  private guard(action: () => void | Promise<void>): void | Promise<void> {
    showMessage(byId('app-error'), null);
    try {
      const result = action();
      if (result instanceof Promise) return result.catch((e: unknown) => this.showError(errorText(e)));
    } catch (e) {
      this.showError(errorText(e));
    }
  }

  /** For the end-to-end test: a fingerprint of the weights and the last stop latency. */
  debugState(): { weightsChecksum: number; epochsDone: number; stopLatencyMs: number | null; backend: string } {
    const weights = this.model.getWeights();
    let sum = 0;
    for (const w of weights) for (const v of w.dataSync()) sum += Math.abs(v) * 1.000001 + v;
    tf.dispose(weights);
    return { weightsChecksum: sum, epochsDone: this.epochsDone, stopLatencyMs: this.lastStopLatencyMs, backend: getBackend() };
  }
}

