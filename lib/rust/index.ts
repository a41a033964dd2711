export * from './types';
export * from './build-cache';
export * from './function';
export * from './extension';
