export * from './rust';
export * from './llrt';
