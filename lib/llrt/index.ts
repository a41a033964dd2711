export * from './types';
export * from './function';
