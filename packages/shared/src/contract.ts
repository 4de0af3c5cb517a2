/**
 * The REST contract only (schemas of the API, its events and resources): no Node-only modules, so browsers and
 * the client SDK can import it (`@inkpost/shared/contract`).
 */
export * from './api.js';
export * from './events.js';
export * from './post.js';
