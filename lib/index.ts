export * from './rust';
export * from './llrt';
export * from './web-adapter';
export * from './benchmark';
