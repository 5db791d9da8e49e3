import type { FitTechConfigInput } from './schema';

type DeepPartial<T> = T extends (infer U)[]
  ? U[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * A partial configuration: every key optional, deep. What an environment's
 * section, the common part of fittech.config.ts and an ad-hoc overrides file
 * may contain. Unset keys take the documented defaults of the schema.
 */
export type ConfigOverrides = DeepPartial<Omit<FitTechConfigInput, 'environment'>>;

/**
 * The project's configuration, as `fittech.config.ts` at the repository root
 * exports it: settings common to every environment, then one section per
 * environment with what differs there (sizes, accounts, names). The
 * environments are exactly the keys of `environments`.
 */
export interface ProjectConfig extends ConfigOverrides {
  /** Each environment's differences, deep-merged over the common settings. */
  readonly environments: Readonly<Record<string, ConfigOverrides>>;
}

/**
 * Types the project configuration for editors (completion, checking) and
 * returns it unchanged:
 *
 * ```ts
 * import { defineConfig } from '@fittech/shared';
 * export default defineConfig({
 *   region: 'eu-west-1',
 *   environments: { dev: { nodeGroup: { desiredSize: 2 } }, prod: { api: { replicas: 3 } } },
 * });
 * ```
 */
export function defineConfig<const T extends ProjectConfig>(config: T): T {
  return config;
}

/** The environments a project configuration declares, in its order. */
export function environmentNames(project: ProjectConfig): string[] {
  return Object.keys(project.environments ?? {});
}
