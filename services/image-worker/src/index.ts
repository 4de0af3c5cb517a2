export { type ImageWorkerOptions, startImageWorker } from './worker.js';
