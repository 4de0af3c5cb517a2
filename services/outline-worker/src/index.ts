export { type OutlineWorkerOptions, startOutlineWorker } from './worker.js';
