/**
 * @inkpost/client: a typed client of the Inkpost API for Node 20+ and browsers (fetch, streams, Blob/FormData
 * only: nothing Node-specific here; the CLI in ./cli is the Node-only part and is not exported).
 */
export {
  type CreatePostOptions,
  type ImageOptions,
  InkpostClient,
  type InkpostClientOptions,
} from './client.js';
export { InkpostError } from './errors.js';
export type { EventsOptions } from './events.js';
export type { FetchLike, RetryPolicy } from './http.js';
export { applyEvent, FINISHED_STATUSES, isFinished, isSettled } from './reduce.js';
export { type SseMessage, SseParser } from './sse.js';
export type * from './types.js';
export { compareEventIds } from './util.js';
export type { WaitForOptions } from './wait.js';
