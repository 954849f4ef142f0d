import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from './app-config';

/**
 * Provides the settings `loadConfig` read and validated, to every module (global): inject `AppConfig`
 * by its class, in constructors and in factories (`inject: [AppConfig]`). The environment was read once
 * already, before Nest started, so tests can build several apps with different settings in one process.
 */
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppConfigModule,
      global: true,
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig],
    };
  }
}
