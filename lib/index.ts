export * from './rust';
export * from './llrt';
export * from './benchmark';
