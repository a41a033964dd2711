export * from './types';
export * from './layer';
export * from './adapter';
export * from './function';
