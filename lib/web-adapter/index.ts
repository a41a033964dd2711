export * from './types';
export * from './version';
export * from './layer';
export * from './adapter';
export * from './function';
