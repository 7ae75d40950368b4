import type { ModelKind, ReportedInfo, ThreadReport } from './protocol.js';
import type { Settings, WebBackend } from './settings.js';

/** What the app is doing; panels lock what would disturb it. */
export type Activity = 'starting' | 'idle' | 'training' | 'parity' | 'comparing' | 'restarting';

/** The page's whole UI state: panels read it, change it through {@link AppState.set}, and hear every change. */
export interface AppData {
  settings: Settings;
  activity: Activity;
  /** Backends the worker offers, and the one active there. */
  backends: WebBackend[];
  active: string | null;
  infoByBackend: Record<string, ReportedInfo>;
  threads: ThreadReport | null;
  /** Settings.architectureKey of the worker's model, its summary, and epochs trained. */
  architecture: string;
  summary: string;
  /** The worker model's kind and input (BasicRNN on vectors, or the sentiment sequential model on token ids). */
  modelKind: ModelKind | null;
  epochsDone: number;
  /** Epoch count an interrupted run was heading for; Resume trains up to it. */
  resumeTarget: number | null;
  /** Bumped when the worker builds a new model (fresh weights, epochs back to 0): curves start over. */
  modelVersion: number;
  /** Bumped whenever the weights change (new model, training, restore): views of the weights redraw. */
  weightsVersion: number;
  /** A failure to show at the top of the page, or null. */
  error: string | null;
}

export type AppKey = keyof AppData;
type Listener = (data: Readonly<AppData>, changed: ReadonlySet<AppKey>) => void;

/**
 * A small observable state object: `set` merges a patch and tells every subscriber which keys changed (by
 * identity), once per `set`. No framework: panels subscribe with the keys they draw from.
 */
export class AppState {
  private data: AppData;
  private readonly listeners: { keys: ReadonlySet<AppKey> | null; fn: Listener }[] = [];

  constructor(initial: AppData) {
    this.data = initial;
  }

  get(): Readonly<AppData> {
    return this.data;
  }

  /** Merges `patch`; subscribers whose keys changed are called with the new state and the changed keys. */
  set(patch: Partial<AppData>): void {
    const changed = new Set<AppKey>();
    for (const key of Object.keys(patch) as AppKey[]) if (patch[key] !== this.data[key]) changed.add(key);
    if (changed.size === 0) return;
    this.data = { ...this.data, ...patch };
    for (const { keys, fn } of [...this.listeners]) {
      if (keys === null || [...changed].some((k) => keys.has(k))) fn(this.data, changed);
    }
  }

  /** Updates the settings with a patch (a new object, so subscribers to `settings` hear it). */
  setSettings(patch: Partial<Settings>): void {
    this.set({ settings: { ...this.data.settings, ...patch } });
  }

  /** Calls `fn` now and after every change to one of `keys` (all keys when omitted); returns the unsubscribe. */
  subscribe(keys: readonly AppKey[] | null, fn: Listener): () => void {
    const entry = { keys: keys === null ? null : new Set(keys), fn };
    this.listeners.push(entry);
    fn(this.data, new Set(keys ?? []));
    return () => {
      const i = this.listeners.indexOf(entry);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** True while something runs that must not be disturbed (training, parity, a worker restart). */
  busy(): boolean {
    return this.data.activity !== 'idle';
  }
}
