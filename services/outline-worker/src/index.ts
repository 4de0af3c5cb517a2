export { startOutlineWorker, type OutlineWorkerOptions } from './worker.js';
