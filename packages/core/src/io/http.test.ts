// http:// through tfjs's own handler, against a real local HTTP server: save POSTs model.json + weights as
// multipart form data (tfjs's format), loadModel GETs them back; this library's SHA-256 record travels inside
// model.json, so a weight file changed on the server is refused.
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BasicRNN, ModelIOError, loadModel } from '../index.js';

const stored = new Map<string, Uint8Array>();
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (req.method === 'POST') {
        const form = await new Response(Buffer.concat(chunks), { headers: { 'content-type': req.headers['content-type']! } }).formData();
        for (const [name, value] of form.entries()) stored.set(`/${(value as File).name ?? name}`, new Uint8Array(await (value as Blob).arrayBuffer()));
        res.writeHead(200).end();
        return;
      }
      const body = stored.get(req.url!);
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': req.url!.endsWith('.json') ? 'application/json' : 'application/octet-stream' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('a BasicRNN saved to http:// loads back from the server; a changed weight file is refused', async () => {
  const model = new BasicRNN({ hiddenSize: 4, outputSize: 2, cell: 'gru', seed: 8 });
  const x = tf.randomNormal([3, 5, 2], 0, 1, 'float32', 1);
  const before = model.predict(x);
  await model.save(`${base}/upload`);
  expect([...stored.keys()].sort()).toEqual(['/model.json', '/model.weights.bin']);
  const back = (await loadModel(`${base}/model.json`)) as BasicRNN;
  expect(back).toBeInstanceOf(BasicRNN);
  const after = back.predict(x);
  expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));
  const weights = stored.get('/model.weights.bin')!;
  weights[1] = weights[1]! ^ 0x20;
  await expect(loadModel(`${base}/model.json`)).rejects.toThrow(ModelIOError);
  await expect(loadModel(`${base}/model.json`)).rejects.toThrow(/weight bytes are corrupt/);
  await expect(loadModel(`${base}/missing.json`)).rejects.toThrow(/loadModel\(source\): loading from .*missing\.json.* failed/);
  tf.dispose([x, before, after]);
  model.dispose();
  back.dispose();
});
