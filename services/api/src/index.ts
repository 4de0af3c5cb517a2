export { buildApp } from './app.js';
export { type ApiContext, createApiContext, loadApiSettings } from './context.js';
