// Entry of the web app (`pnpm demo`): the page (panels around one state); the model runs in src/web/worker.ts.
import './styles.css';
import { App } from './app.js';

const app = new App();
// A handle for the end-to-end test (weights fingerprint, stop latency); harmless for users.
(window as unknown as { basicrnnDemo: App }).basicrnnDemo = app;
void app.guard(() => app.start());
