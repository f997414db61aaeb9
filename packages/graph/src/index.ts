export * from './layouts/index.js';
export * from './adjacency/index.js';
export * from './layers/index.js';
export * from './pose/index.js';
export * from './io/index.js';
export * from './synthetic/index.js';
export * from './mocap/index.js';
