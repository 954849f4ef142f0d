export * from './health.module';
export * from './http-drain';
export * from './graceful-shutdown';
