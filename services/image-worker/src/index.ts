export { loadImageWorkerConfig } from './options.js';
export { type ImageWorkerOptions, startImageWorker } from './worker.js';
