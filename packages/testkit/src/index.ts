export * from './fake-provider.js';
export * from './png.js';
export * from './test-env.js';
export * from './webhook-receiver.js';
