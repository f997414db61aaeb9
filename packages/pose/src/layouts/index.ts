export * from './skeletons.js';
export * from './convert.js';
