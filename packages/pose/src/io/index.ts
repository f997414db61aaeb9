export * from './npy.js';
