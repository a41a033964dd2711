export * from './types';
export * from './function';
export * from './binary';
