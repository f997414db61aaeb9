export * from './layouts/index.js';
export * from './tracks/index.js';
export * from './io/index.js';
export * from './synthetic/index.js';
