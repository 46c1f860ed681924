export * from './schemas.js';
export * from './frames.js';
export * from './errors.js';
