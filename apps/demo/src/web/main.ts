// Entry of the web app (`pnpm demo`). Core registers cpu; the backend packages register wasm and webgl on import.
import './styles.css';
import { DemoApp } from './app.js';

const app = new DemoApp();
// A handle for the end-to-end test (weights fingerprint, stop latency); harmless for users.
(window as unknown as { basicrnnDemo: DemoApp }).basicrnnDemo = app;
void app.start();
