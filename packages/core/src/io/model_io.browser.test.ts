// model.save / loadModel / loadWeights through the browser stores (IndexedDB, localStorage) in Chromium, and
// a failed save that leaves the previous model loadable.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BasicRNN, ModelIOError, Sequential, layers, loadModel, sequential } from '../index.js';

afterEach(() => {
  vi.restoreAllMocks();
  localStorage.clear();
});

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

const x = () => tf.tensor3d(Array.from({ length: 2 * 4 * 3 }, (_, i) => Math.sin(i)), [2, 4, 3]);

describe('browser stores', () => {
  it.each(['indexeddb://io-basic', 'localstorage://io-basic'])('a BasicRNN and a sequential model round-trip through %s', async (url) => {
    const input = x();
    const rnn = new BasicRNN({ hiddenSize: 4, outputSize: 2, cell: 'lstm', seed: 1 });
    const before = rnn.predict(input);
    await rnn.save(url);
    const loaded = (await loadModel(url)) as BasicRNN;
    expect(loaded).toBeInstanceOf(BasicRNN);
    const after = loaded.predict(input);
    expect(values(after)).toEqual(values(before));

    const seq = sequential({ layers: [layers.masking(), layers.bidirectional({ layer: layers.gru({ units: 3 }) }), layers.dense({ units: 1 })], seed: 2 });
    const p0 = seq.predict(input);
    await seq.save(`${url}-seq`, { quantize: 'float16' });
    const seq2 = (await loadModel(`${url}-seq`)) as Sequential;
    const p1 = seq2.predict(input);
    expect(Math.max(...values(p1).map((v, i) => Math.abs(v - values(p0)[i]!)))).toBeLessThan(2e-3);
    const other = sequential({ layers: [layers.masking(), layers.bidirectional({ layer: layers.gru({ units: 3 }) }), layers.dense({ units: 1 })], seed: 9 });
    await seq.save(`${url}-seq`);
    await other.loadWeights(`${url}-seq`);
    expect(values(other.predict(input))).toEqual(values(p0));
    tf.dispose([input, before, after, p0, p1]);
    for (const m of [rnn, loaded, seq, seq2, other]) m.dispose();
  });

  it('a failed IndexedDB save (aborted transaction) leaves the previous model loadable', async () => {
    const input = x();
    const a = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 1 });
    const b = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 2 });
    const pa = a.predict(input);
    b.predict(input).dispose();
    await a.save('indexeddb://io-abort');
    const realPut = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      const request = realPut.apply(this, args);
      if (this.name === 'models_store') this.transaction.abort();
      return request;
    });
    await expect(b.save('indexeddb://io-abort')).rejects.toBeInstanceOf(ModelIOError);
    vi.restoreAllMocks();
    const back = (await loadModel('indexeddb://io-abort')) as BasicRNN;
    expect(back.seed).toBe(1);
    expect(values(back.predict(input))).toEqual(values(pa));
    tf.dispose([input, pa]);
    for (const m of [a, b, back]) m.dispose();
  });

  it('a failed localStorage save (quota) leaves the previous model loadable', async () => {
    const input = x();
    const a = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 1 });
    const pa = a.predict(input);
    await a.save('localstorage://io-quota');
    const realSet = Storage.prototype.setItem;
    let failed = false;
    vi.spyOn(Storage.prototype, 'setItem').mockImplementation(function (this: Storage, key: string, value: string) {
      // Once: the new weights do not fit (putting the old ones back, after tfjs removed the keys, does).
      if (key.endsWith('/weight_data') && !failed) {
        failed = true;
        throw new DOMException('quota', 'QuotaExceededError');
      }
      return realSet.call(this, key, value);
    });
    const b = new BasicRNN({ hiddenSize: 3, outputSize: 1, seed: 2 });
    b.predict(input).dispose();
    await expect(b.save('localstorage://io-quota')).rejects.toThrow(/the previous model is unchanged/);
    vi.restoreAllMocks();
    const back = (await loadModel('localstorage://io-quota')) as BasicRNN;
    expect(values(back.predict(input))).toEqual(values(pa));
    tf.dispose([input, pa]);
    for (const m of [a, b, back]) m.dispose();
  });

  it('downloads:// goes through the tfjs handler; the downloaded files load back through tf.io.browserFiles', async () => {
    const input = x();
    const model = sequential({ layers: [layers.lstm({ units: 3 }), layers.dense({ units: 1 })], seed: 4, name: 'dl' });
    const p0 = model.predict(input);
    // Catch the two anchor clicks tfjs dispatches instead of letting the page download.
    const clicked: { name: string; href: string }[] = [];
    const realDispatch = EventTarget.prototype.dispatchEvent;
    vi.spyOn(EventTarget.prototype, 'dispatchEvent').mockImplementation(function (this: EventTarget, event: Event) {
      if (this instanceof HTMLAnchorElement && event.type === 'click') {
        clicked.push({ name: this.download, href: this.href });
        return true;
      }
      return realDispatch.call(this, event);
    });
    await model.save('downloads://dl-model');
    vi.restoreAllMocks();
    expect(clicked.map((c) => c.name)).toEqual(['dl-model.json', 'dl-model.weights.bin']);
    const files = await Promise.all(clicked.map(async (c) => new File([await (await fetch(c.href)).blob()], c.name)));
    const json = JSON.parse(await files[0]!.text());
    expect(json.userDefinedMetadata.basicrnn.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    const back = (await loadModel(tf.io.browserFiles(files))) as Sequential;
    expect(values(back.predict(input))).toEqual(values(p0));
    // A flipped weight byte in the uploaded file is refused.
    const bytes = new Uint8Array(await files[1]!.arrayBuffer());
    bytes[2] = bytes[2]! ^ 0x04;
    await expect(loadModel(tf.io.browserFiles([files[0]!, new File([bytes], files[1]!.name)]))).rejects.toThrow(/weight bytes are corrupt/);
    tf.dispose([input, p0]);
    model.dispose();
    back.dispose();
  });
});
