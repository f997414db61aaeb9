export * from './adjacency/index.js';
export * from './layers/index.js';
export * from './coco17_to_openpose18_tensor.js';
