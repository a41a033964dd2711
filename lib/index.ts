export * from './rust';
