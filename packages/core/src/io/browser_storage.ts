import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ModelIOError, describe } from '../errors.js';

/** tfjs's IndexedDB layout, kept so `tf.loadLayersModel('indexeddb://…')` reads what we write and back. */
const IDB_DATABASE = 'tensorflowjs';
const IDB_VERSION = 1;
const IDB_MODEL_STORE = 'models_store';
const IDB_INFO_STORE = 'model_info_store';

/** A tfjs `IOHandler` that can both save and load (every handler of this library is one). */
export type ModelStore = tf.io.IOHandler & { save: tf.io.SaveHandler; load: tf.io.LoadHandler };

/** URL schemes of the browser stores. */
export const INDEXED_DB_SCHEME = 'indexeddb://';
export const LOCAL_STORAGE_SCHEME = 'localstorage://';

/**
 * An IndexedDB `IOHandler` in tfjs's own database layout (so tfjs and this library read each other's saves)
 * that writes the model and its info record in ONE transaction. tfjs's handler uses two: a failure or a page
 * reload between them leaves an info record for a model whose data is the old one, or deletes the old model's
 * info. Here either both records are the new model's or both are still the old one's.
 *
 * `modelPath` is the name after `indexeddb://` (the scheme may be included).
 */
export function atomicIndexedDB(modelPath: string): ModelStore {
  const path = stripScheme(modelPath, INDEXED_DB_SCHEME, 'atomicIndexedDB(modelPath)');
  return {
    save: async (artifacts) => {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new ModelIOError(`indexeddb://${path}: binary (protobuf) topologies are not supported; save a JSON topology`);
      }
      const stored: tf.io.ModelArtifacts = { ...artifacts };
      if (stored.weightData !== undefined) stored.weightData = tf.io.CompositeArrayBuffer.join(stored.weightData);
      const modelArtifactsInfo = tf.io.getModelArtifactsInfoForJSON(stored);
      const db = await openDatabase(path);
      try {
        await new Promise<void>((resolve, reject) => {
          let tx: IDBTransaction;
          try {
            tx = db.transaction([IDB_INFO_STORE, IDB_MODEL_STORE], 'readwrite');
            tx.objectStore(IDB_INFO_STORE).put({ modelPath: path, modelArtifactsInfo });
            tx.objectStore(IDB_MODEL_STORE).put({ modelPath: path, modelArtifacts: stored, modelArtifactsInfo });
          } catch (e) {
            // put() throws synchronously for values it cannot clone; nothing was written.
            reject(ioError(`indexeddb://${path}: the model could not be stored`, e));
            return;
          }
          tx.oncomplete = () => resolve();
          const fail = () => reject(ioError(`indexeddb://${path}: saving failed (quota exceeded?); the previous model is unchanged`, tx.error));
          tx.onerror = fail;
          tx.onabort = fail;
        });
      } finally {
        db.close();
      }
      return { modelArtifactsInfo };
    },
    load: async () => {
      const db = await openDatabase(path);
      try {
        const record = await new Promise<{ modelArtifacts?: tf.io.ModelArtifacts } | undefined>((resolve, reject) => {
          const request = db.transaction(IDB_MODEL_STORE, 'readonly').objectStore(IDB_MODEL_STORE).get(path);
          request.onsuccess = () => resolve(request.result as { modelArtifacts?: tf.io.ModelArtifacts } | undefined);
          request.onerror = () => reject(ioError(`indexeddb://${path}: reading the model failed`, request.error));
        });
        if (record?.modelArtifacts === undefined) throw new ModelIOError(`indexeddb://${path}: no model is stored under this name`);
        return record.modelArtifacts;
      } finally {
        db.close();
      }
    },
  };
}

function openDatabase(path: string): Promise<IDBDatabase> {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (factory === undefined) return Promise.reject(new ModelIOError(`indexeddb://${path}: IndexedDB is not available here (not a browser?)`));
  return new Promise((resolve, reject) => {
    const request = factory.open(IDB_DATABASE, IDB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const store of [IDB_MODEL_STORE, IDB_INFO_STORE]) {
        if (!db.objectStoreNames.contains(store)) db.createObjectStore(store, { keyPath: 'modelPath' });
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(ioError(`indexeddb://${path}: cannot open the database`, request.error));
  });
}

/** tfjs's localStorage keys for one model path. */
function localStorageKeys(path: string): string[] {
  return ['info', 'model_topology', 'weight_specs', 'weight_data', 'model_metadata'].map((k) => `tensorflowjs_models/${path}/${k}`);
}

/**
 * tfjs's localStorage handler, made safe to fail: tfjs writes the model's keys one by one and, on a quota
 * error, removes them all — the previous model under that name is gone. This wrapper keeps the previous
 * model's entries in memory for the length of the save and puts them back when the save fails. (The writes
 * are synchronous, so a page reload cannot fall between them.)
 */
export function atomicLocalStorage(modelPath: string): ModelStore {
  const path = stripScheme(modelPath, LOCAL_STORAGE_SCHEME, 'atomicLocalStorage(modelPath)');
  const storage = (globalThis as { localStorage?: Storage }).localStorage;
  const inner = () => {
    const handlers = storage === undefined ? [] : tf.io.getSaveHandlers(`${LOCAL_STORAGE_SCHEME}${path}`);
    if (handlers.length !== 1 || storage === undefined) {
      throw new ModelIOError(`localstorage://${path}: localStorage is not available here (not a browser?)`);
    }
    return handlers[0]!;
  };
  return {
    save: async (artifacts) => {
      const handler = inner();
      const keys = localStorageKeys(path);
      const previous = keys.map((key) => [key, storage!.getItem(key)] as const);
      try {
        return await handler.save!(artifacts);
      } catch (e) {
        for (const [key, value] of previous) {
          if (value === null) storage!.removeItem(key);
          else storage!.setItem(key, value);
        }
        throw ioError(`localstorage://${path}: saving failed (quota exceeded?); the previous model is unchanged`, e);
      }
    },
    load: async () => {
      const handler = inner();
      try {
        return await handler.load!();
      } catch (e) {
        throw ioError(`localstorage://${path}: loading failed`, e);
      }
    },
  };
}

function stripScheme(modelPath: unknown, scheme: string, argument: string): string {
  if (typeof modelPath !== 'string') throw new ConfigError(`${argument}: expected a model name, received ${describe(modelPath)}`);
  const path = modelPath.startsWith(scheme) ? modelPath.slice(scheme.length) : modelPath;
  if (path.length === 0) throw new ConfigError(`${argument}: expected a non-empty model name, received ${describe(modelPath)}`);
  return path;
}

function ioError(message: string, cause: unknown): ModelIOError {
  const detail = cause instanceof Error || (cause !== null && typeof cause === 'object' && 'message' in cause) ? `: ${(cause as Error).message}` : '';
  return new ModelIOError(`${message}${detail}`, { cause });
}
