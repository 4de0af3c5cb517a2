export { loadOutlineWorkerConfig } from './options.js';
export { type OutlineWorkerOptions, startOutlineWorker } from './worker.js';
