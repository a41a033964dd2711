export * from './types';
export * from './construct';
export * from './workload';
