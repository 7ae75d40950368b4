import { wasmUrls } from './assets.js';
import { byId, errorText, showMessage } from './dom.js';
import { Engine } from './engine.js';
import { PANELS } from './panels/index.js';
import type { ModelDescription, ModelSnapshot } from './protocol.js';
import { loadSettings, saveSettings } from './persist.js';
import { architectureKey, type Settings, type ThreadChoice, type WebBackend } from './settings.js';
import { AppState } from './state.js';

/** What every panel is given: the state to read and change, the worker to command, and the app's shared actions. */
export interface PanelContext {
  state: AppState;
  engine: Engine;
  app: App;
}

/** A panel: one module, one entry in panels/index.ts. `mount` builds its section and wires it to the state. */
export interface Panel {
  /** Where it goes: the settings column or the main column (in registration order). */
  area: 'aside' | 'main';
  mount(ctx: PanelContext): HTMLElement;
}

/**
 * The web app: the page owns the UI state ({@link AppState}) and the plots; the model lives in a worker
 * ({@link Engine}). This class holds the actions several panels share; everything else is in the panels.
 */
export class App {
  readonly engine = new Engine();
  readonly state: AppState;
  /** The page's last input time for the worker (Commands.init `input`); null without SharedArrayBuffer. */
  private readonly input: { buffer: SharedArrayBuffer; base: number } | null =
    typeof SharedArrayBuffer === 'function' && self.crossOriginIsolated ? { buffer: new SharedArrayBuffer(4), base: Date.now() } : null;

  constructor() {
    const settings = loadSettings();
    this.state = new AppState({
      settings,
      activity: 'starting',
      backends: [],
      active: null,
      infoByBackend: {},
      threads: null,
      architecture: '',
      summary: '',
      modelKind: null,
      epochsDone: 0,
      resumeTarget: null,
      modelVersion: 0,
      weightsVersion: 0,
      error: null,
    });
    const ctx: PanelContext = { state: this.state, engine: this.engine, app: this };
    const aside = byId('aside');
    const main = byId('main');
    for (const panel of PANELS) (panel.area === 'aside' ? aside : main).append(panel.mount(ctx));
    this.state.subscribe(['error'], (s) => showMessage(byId('app-error'), s.error));
    this.state.subscribe(['settings'], (s) => saveSettings(s.settings));
    window.addEventListener('unhandledrejection', (e) => this.showError(errorText(e.reason)));
    if (this.input !== null) {
      const { buffer, base } = this.input;
      const last = new Int32Array(buffer);
      const mark = () => Atomics.store(last, 0, Date.now() - base);
      for (const type of ['pointerdown', 'keydown'] as const) document.addEventListener(type, mark, { capture: true, passive: true });
    }
  }

  /** Starts the worker on the chosen backend; the page is ready for input once this resolves. */
  async start(snapshot?: ModelSnapshot): Promise<void> {
    const s = this.state.get().settings;
    const init = await this.engine.call('init', {
      threads: s.threads,
      hardwareConcurrency: navigator.hardwareConcurrency ?? 1,
      wasmPaths: wasmUrls,
      backend: s.backend,
      settings: s,
      ...(snapshot === undefined ? {} : { snapshot }),
      ...(this.input === null ? {} : { input: this.input }),
    });
    const infoByBackend = { ...this.state.get().infoByBackend };
    for (const info of init.infos) infoByBackend[info.name] = info;
    this.state.set({ backends: init.backends, active: init.active, infoByBackend, threads: init.threads, error: init.startError ?? null });
    this.applyModel(init.model, snapshot !== undefined && init.model.architecture === snapshot.architecture);
    this.state.set({ activity: 'idle' });
    document.body.dataset.ready = 'true';
  }

  private applyModel(model: ModelDescription, weightsKept = false): void {
    const s = this.state.get();
    this.state.set({
      architecture: model.architecture,
      summary: model.summary,
      modelKind: model.model,
      epochsDone: model.epochsDone,
      ...(model.rebuilt && !weightsKept ? { resumeTarget: null, modelVersion: s.modelVersion + 1 } : {}),
      weightsVersion: s.weightsVersion + 1,
    });
  }

  /**
   * The worker replaced its model with a loaded one (restored or uploaded): the summary and epochs are the loaded
   * model's, the curves start over, every view of the model redraws.
   */
  adoptModel(model: ModelDescription): void {
    this.applyModel({ ...model, rebuilt: true });
  }

  /** New settings from a control: kept, and the worker's model rebuilt when its architecture changed. */
  async updateSettings(patch: Partial<Settings>): Promise<void> {
    this.state.setSettings(patch);
    const settings = this.state.get().settings;
    if (architectureKey(settings) !== this.state.get().architecture) await this.configure(false);
  }

  /** Brings the worker's model in line with the settings; `fresh` draws new weights even when nothing changed. */
  async configure(fresh: boolean): Promise<void> {
    const model = await this.engine.call('configure', { settings: this.state.get().settings, fresh });
    if (model.rebuilt || fresh) this.applyModel({ ...model, rebuilt: true });
  }

  async switchBackend(name: WebBackend): Promise<void> {
    const result = await this.engine.call('setBackend', { name });
    this.state.set({
      active: result.active,
      infoByBackend: { ...this.state.get().infoByBackend, [result.info.name]: result.info },
      threads: result.threads,
    });
    this.state.setSettings({ backend: name });
  }

  /**
   * tfjs fixes the wasm thread count when its module starts, once per worker: keep the model, start a new worker
   * with the new count, and put the model back. The page stays; settings and curves stay with it.
   */
  async changeThreads(threads: ThreadChoice): Promise<void> {
    this.state.set({ activity: 'restarting' });
    try {
      const snapshot = await this.engine.call('snapshot', {});
      this.state.setSettings({ threads, backend: 'wasm' });
      this.engine.restart();
      this.state.set({ infoByBackend: {}, active: null });
      await this.start(snapshot);
    } finally {
      this.state.set({ activity: 'idle' });
    }
  }

  showError(message: string | null): void {
    this.state.set({ error: message });
  }

  /** Runs an action, showing a failure on the page instead of losing it. */
  async guard(action: () => Promise<void> | void): Promise<void> {
    this.showError(null);
    try {
      await action();
    } catch (e) {
      this.showError(errorText(e));
    }
  }

  /** For the end-to-end test: a fingerprint of the worker's weights, epochs, backend, tensors held. */
  debugState(): Promise<{ weightsChecksum: number; epochsDone: number; backend: string; numTensors: number; stopLatencyMs: number | null }> {
    return this.engine.call('debugState', {}).then((d) => ({ ...d, stopLatencyMs: lastStopLatency() }));
  }
}

function lastStopLatency(): number | null {
  const text = document.querySelector('#train-status')?.getAttribute('data-stop-latency-ms');
  return text === null || text === undefined ? null : Number(text);
}
