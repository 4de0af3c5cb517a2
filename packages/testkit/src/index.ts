export * from './fake-provider.js';
export * from './faulty-s3.js';
export * from './hostile-images.js';
export * from './png.js';
export * from './process-watch.js';
export * from './redis-server.js';
export * from './test-env.js';
export * from './webhook-receiver.js';
