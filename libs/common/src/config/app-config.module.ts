import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService, registerAs } from '@nestjs/config';
import { AppConfig } from './app-config';

/** The namespace under which the validated settings live in ConfigService (`config.get('app')`). */
export const APP_CONFIG_NAMESPACE = 'app';

/** What modules inject to read the settings: `ConfigService<AppSettings, true>`. */
export interface AppSettings {
  [APP_CONFIG_NAMESPACE]: AppConfig;
}

/** The settings from a ConfigService: one typed object, validated once at startup. */
export function appSettings(config: ConfigService<AppSettings, true>): AppConfig {
  return config.get(APP_CONFIG_NAMESPACE, { infer: true });
}

/**
 * @nestjs/config, global, fed with the settings `loadConfig` validated. The environment was already read
 * (and .env files are not a source: the process environment is), so ConfigModule neither re-reads
 * process.env nor writes defaults back into it: tests can build several apps with different settings
 * in one process.
 */
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppConfigModule,
      global: true,
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          ignoreEnvVars: true,
          skipProcessEnv: true,
          load: [registerAs(APP_CONFIG_NAMESPACE, () => config)],
        }),
      ],
      exports: [ConfigModule],
    };
  }
}
