import type { Commands, CommandName, Reply, Request, WorkerEvent } from './protocol.js';

/** A command the worker refused: the worker's error class name and message, kept. */
export class WorkerCommandError extends Error {
  constructor(
    readonly errorName: string,
    message: string,
  ) {
    super(message);
    this.name = 'WorkerCommandError';
  }
}

type Listener = (event: WorkerEvent) => void;

/**
 * The page's handle on the model worker: typed commands (`await engine.call('forward', { settings })`) and progress
 * events. `restart` replaces the worker (tfjs fixes the wasm thread count per module load, so a new count is a new
 * worker); calls still pending on the old one reject.
 */
export class Engine {
  private worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<Listener>();

  constructor() {
    this.worker = Engine.spawn();
    this.attach(this.worker);
  }

  private static spawn(): Worker {
    // Vite bundles the module worker from this exact `new Worker(new URL(…), { type: 'module' })` form.
    return new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'basicrnn-model' });
  }

  private attach(worker: Worker): void {
    worker.onmessage = (e: MessageEvent<Reply>) => {
      const reply = e.data;
      if ('event' in reply) {
        for (const listener of this.listeners) listener(reply);
        return;
      }
      const waiting = this.pending.get(reply.id);
      if (waiting === undefined) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiting.resolve(reply.result);
      else waiting.reject(new WorkerCommandError(reply.error.name, reply.error.message));
    };
    worker.onerror = (e) => {
      e.preventDefault();
      this.failPending(`the model worker failed: ${e.message || 'it could not load (see the browser console)'}`);
    };
  }

  private failPending(message: string): void {
    for (const { reject } of this.pending.values()) reject(new Error(message));
    this.pending.clear();
  }

  /** Sends one command; resolves with its typed result, rejects with the worker's error. */
  call<K extends CommandName>(command: K, args: Commands[K]['args']): Promise<Commands[K]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, command, args } as Request);
    });
  }

  /** Listens to progress events; returns the unsubscribe function. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ends the current worker and starts a fresh one (the caller then sends `init`). */
  restart(): void {
    this.worker.terminate();
    this.failPending('the model worker was restarted');
    this.worker = Engine.spawn();
    this.attach(this.worker);
  }
}
