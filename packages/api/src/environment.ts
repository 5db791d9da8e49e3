import { parseApiEnvironment, type ApiEnvironment, type ApiVariableName } from '@fittech/shared';

export type { ApiEnvironment };

/**
 * Reads the API's environment through `@fittech/shared`'s contract, the same
 * object the manifests use to emit the container's `env:`. Every missing or
 * invalid variable is named in the thrown `ApiEnvironmentError`.
 */
export function readApiEnvironment(env: NodeJS.ProcessEnv = process.env): ApiEnvironment {
  return parseApiEnvironment(env);
}

/**
 * Reads only some variables of the contract (the migration Job needs
 * `DATABASE_URL`, not the JWT key), by the same shared parser and messages.
 */
export function readApiVariables<K extends ApiVariableName>(
  names: readonly K[],
  env: NodeJS.ProcessEnv = process.env,
): Pick<ApiEnvironment, K> {
  return parseApiEnvironment(env, names);
}
