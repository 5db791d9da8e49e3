import {
  apiEnvironment,
  ApiEnvironmentError,
  parseApiEnvironment,
  type ApiEnvironment,
  type ApiVariable,
  type ApiVariableName,
} from '@fittech/shared';

export type { ApiEnvironment };

/**
 * Reads the API's environment through `@fittech/shared`'s contract, the same
 * object the manifests use to emit the container's `env:`. Every missing or
 * invalid variable is named in the thrown {@link ApiEnvironmentError}.
 */
export function readApiEnvironment(env: NodeJS.ProcessEnv = process.env): ApiEnvironment {
  return parseApiEnvironment(env);
}

/**
 * Reads only some variables of the contract (the migration Job needs
 * `DATABASE_URL`, not the JWT key). Same rules and messages as
 * {@link readApiEnvironment}.
 */
export function readApiVariables<K extends ApiVariableName>(
  names: readonly K[],
  env: NodeJS.ProcessEnv = process.env,
): Pick<ApiEnvironment, K> {
  const problems: { variable: string; message: string }[] = [];
  const out: Partial<Record<K, unknown>> = {};
  for (const name of names) {
    const variable: ApiVariable = apiEnvironment[name];
    const raw = env[name] === '' ? undefined : env[name];
    const result = variable.schema.safeParse(raw);
    if (result.success) out[name] = result.data;
    else
      problems.push({
        variable: name,
        message:
          raw === undefined
            ? 'is required but not set'
            : (result.error.issues[0]?.message ?? 'is invalid'),
      });
  }
  if (problems.length > 0) throw new ApiEnvironmentError(problems);
  return out as Pick<ApiEnvironment, K>;
}
