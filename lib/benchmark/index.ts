export * from './types';
export * from './construct';
