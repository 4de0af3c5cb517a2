export * from './connection.js';
export * from './errors.js';
export * from './http.js';
export * from './image/index.js';
export * from './text/index.js';
