import {
  ApiEnvironmentError,
  apiEnvironment,
  apiEnvironmentManifest,
  parseApiEnvironment,
  resolveConfig,
} from '@fittech/shared';

const required = {
  DATABASE_URL: 'postgresql://fittech:pw@db.example:5432/fittech?sslmode=verify-full',
  SECRET_KEY: 'x'.repeat(32),
};

describe('parseApiEnvironment', () => {
  it('applies the contract defaults', () => {
    const env = parseApiEnvironment(required);
    expect(env).toMatchObject({
      PORT: 8000,
      ALGORITHM: 'HS256',
      ACCESS_TOKEN_EXPIRE_MINUTES: 30,
      REDIS_URL: 'redis://127.0.0.1:6379/0',
      HEALTH_PATH: '/health',
      READY_PATH: '/ready',
    });
  });

  it('names every missing or invalid variable, without echoing secrets', () => {
    let error: ApiEnvironmentError | undefined;
    try {
      parseApiEnvironment({ PORT: 'eighty', SECRET_KEY: 'short-secret', ALGORITHM: 'RS256' });
    } catch (e) {
      error = e as ApiEnvironmentError;
    }
    expect(error).toBeInstanceOf(ApiEnvironmentError);
    expect(error!.problems.map((p) => p.variable).sort()).toEqual(
      ['ALGORITHM', 'DATABASE_URL', 'PORT', 'SECRET_KEY'].sort(),
    );
    expect(error!.message).toMatch(/PORT: must be a whole number \(got "eighty"\)/);
    expect(error!.message).toMatch(/DATABASE_URL: is required but not set/);
    expect(error!.message).not.toContain('short-secret');
  });

  it('parses what the manifests emit back into the config’s values (round trip)', () => {
    const config = resolveConfig({
      overrides: {
        api: { port: 9100, metricsPort: 9191, accessTokenExpireMinutes: 45 },
        redis: { port: 6400 },
      },
    });
    const { configMap, secretKeys } = apiEnvironmentManifest(config);
    expect(Object.keys(secretKeys).sort()).toEqual(['DATABASE_URL', 'SECRET_KEY']);
    const env = parseApiEnvironment({ ...configMap, ...required });
    expect(env.PORT).toBe(9100);
    expect(env.METRICS_PORT).toBe(9191);
    expect(env.ACCESS_TOKEN_EXPIRE_MINUTES).toBe(45);
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6400/0');
  });

  it('covers every variable of the contract in the manifest, exactly once', () => {
    const { configMap, secretKeys } = apiEnvironmentManifest(resolveConfig());
    expect([...Object.keys(configMap), ...Object.keys(secretKeys)].sort()).toEqual(
      Object.keys(apiEnvironment).sort(),
    );
  });
});
