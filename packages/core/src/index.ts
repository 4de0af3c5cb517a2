export * from './control.js';
export * from './generation.js';
export * from './logger.js';
export * from './post-state.js';
export * from './post-store.js';
export * from './queues.js';
export * from './redis.js';
export * from './storage.js';
