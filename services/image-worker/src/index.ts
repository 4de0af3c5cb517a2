export { startImageWorker, type ImageWorkerOptions } from './worker.js';
