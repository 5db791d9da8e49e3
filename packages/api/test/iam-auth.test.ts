/**
 * How the API obtains its database password without anyone handling one:
 *
 * - the RDS IAM token is what AWS documents: a SigV4 presigned
 *   `connect` URL for the host, port and user, valid 15 minutes, checked here
 *   against an independent implementation of the SigV4 query-string signing
 *   that first reproduces AWS's own documented example;
 * - node-postgres asks the async `password` function for every new
 *   connection, proven against a real PostgreSQL that requires SCRAM for the
 *   role while the password rotates (as tokens do).
 *
 * RDS itself (that it accepts the token) cannot be reached here: no AWS.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Pool } from 'pg';
import {
  createPool,
  databaseConnection,
  DatabaseCredentialsError,
  iamAuthToken,
  withDatabaseAuth,
} from '@fittech/api';
import {
  postgresUnavailable,
  ownsPostgres,
  startPostgres,
  type PostgresServer,
} from '../../../tools/support/servers';

// ------------------------------------------------------------ SigV4, from the AWS documentation

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();
/** RFC 3986 encoding, as SigV4 requires (encodeURIComponent leaves !'()* alone). */
const encode = (s: string) =>
  encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

interface Presign {
  method: string;
  host: string;
  path: string;
  query: Record<string, string>;
  service: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  date: string; // YYYYMMDDTHHMMSSZ
  expires: number;
  payloadHash: string;
}

/** "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)", step by step. */
function presign(p: Presign): Record<string, string> {
  const day = p.date.slice(0, 8);
  const scope = `${day}/${p.region}/${p.service}/aws4_request`;
  const query: Record<string, string> = {
    ...p.query,
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${p.accessKeyId}/${scope}`,
    'X-Amz-Date': p.date,
    'X-Amz-Expires': String(p.expires),
    'X-Amz-SignedHeaders': 'host',
    ...(p.sessionToken ? { 'X-Amz-Security-Token': p.sessionToken } : {}),
  };
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((k) => `${encode(k)}=${encode(query[k]!)}`)
    .join('&');
  const canonicalRequest = [
    p.method,
    p.path,
    canonicalQuery,
    `host:${p.host}\n`,
    'host',
    p.payloadHash,
  ].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', p.date, scope, sha256(canonicalRequest)].join('\n');
  const key = [p.region, p.service, 'aws4_request'].reduce<Buffer>(
    (k, part) => hmac(k, part),
    hmac(`AWS4${p.secretAccessKey}`, day),
  );
  return {
    ...query,
    'X-Amz-Signature': createHmac('sha256', key).update(stringToSign).digest('hex'),
  };
}

describe('SigV4 query-string signing (the reference this suite checks the token against)', () => {
  it("reproduces AWS's documented example: a presigned GET of examplebucket/test.txt", () => {
    const signed = presign({
      method: 'GET',
      host: 'examplebucket.s3.amazonaws.com',
      path: '/test.txt',
      query: {},
      service: 's3',
      region: 'us-east-1',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      date: '20130524T000000Z',
      expires: 86400,
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    expect(signed['X-Amz-Signature']).toBe(
      'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
  });
});

// ------------------------------------------------------------ the token

describe('iamAuthToken: the RDS IAM authentication token', () => {
  const host = 'fittech-prod-postgres.c9akciq32.us-east-1.rds.amazonaws.com';
  const connection = databaseConnection(
    `postgresql://fittech_app@${host}:5432/fittech?sslmode=verify-full&sslrootcert=/app/certs/rds-global-bundle.pem`,
    { readFile: () => Buffer.from('ca') },
  );
  const credentials = {
    accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  };
  const at = new Date('2024-03-01T12:34:56Z');

  beforeEach(() => {
    // Only the clock: the signer's promises and the SDK's timers run normally.
    jest.useFakeTimers({
      now: at,
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
  });
  afterEach(() => jest.useRealTimers());

  const expected = (sessionToken?: string) =>
    presign({
      method: 'GET',
      host: `${host}:5432`,
      path: '/',
      query: { Action: 'connect', DBUser: 'fittech_app' },
      service: 'rds-db',
      region: 'us-east-1',
      ...credentials,
      ...(sessionToken ? { sessionToken } : {}),
      date: '20240301T123456Z',
      expires: 900,
      payloadHash: sha256(''),
    });

  const parse = (token: string) => {
    const url = new URL(`https://${token}`);
    return {
      hostPort: `${url.hostname}:${url.port}`,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
    };
  };

  it('is host:port/?Action=connect&DBUser=<role>… signed for rds-db, 900 s, the SigV4 signature', async () => {
    const token = await iamAuthToken(connection, { region: 'us-east-1', credentials })();
    expect(token.startsWith(`${host}:5432/?`)).toBe(true);
    expect(token).not.toMatch(/^https?:/);
    const { hostPort, path, query } = parse(token);
    expect(hostPort).toBe(`${host}:5432`);
    expect(path).toBe('/');
    expect(query).toEqual(expected());
    expect(query['X-Amz-Credential']).toBe(
      'AKIAIOSFODNN7EXAMPLE/20240301/us-east-1/rds-db/aws4_request',
    );
  });

  it('carries and signs the session token of temporary credentials (what Pod Identity serves)', async () => {
    const sessionToken = 'FwoGZXIvYXdzEXAMPLE//session+token=';
    const token = await iamAuthToken(connection, {
      region: 'us-east-1',
      credentials: { ...credentials, sessionToken },
    })();
    expect(parse(token).query).toEqual(expected(sessionToken));
  });

  it('asks the credential provider each time, so refreshed credentials sign the next token', async () => {
    let calls = 0;
    const provider = async () => {
      calls += 1;
      return { ...credentials, accessKeyId: `AKIAEXAMPLE${calls}` };
    };
    const password = iamAuthToken(connection, { region: 'us-east-1', credentials: provider });
    const first = parse(await password()).query['X-Amz-Credential'];
    const second = parse(await password()).query['X-Amz-Credential'];
    expect([first, second]).toEqual([
      'AKIAEXAMPLE1/20240301/us-east-1/rds-db/aws4_request',
      'AKIAEXAMPLE2/20240301/us-east-1/rds-db/aws4_request',
    ]);
  });
});

describe('withDatabaseAuth', () => {
  const tls = '?sslmode=verify-full&sslrootcert=/ca.pem';
  const read = { readFile: () => Buffer.from('ca') };
  const options = { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };

  it('password: the connection as the URL gives it', () => {
    const c = databaseConnection('postgresql://u:secret@h:5432/d');
    expect(withDatabaseAuth(c, 'password', options)).toBe(c);
  });

  it('iam: the password becomes a token function; the description says so, never a secret', () => {
    const c = withDatabaseAuth(
      databaseConnection(`postgresql://app@h:5432/d${tls}`, read),
      'iam',
      options,
    );
    expect(typeof c.client.password).toBe('function');
    expect(c.description).toBe('app@h:5432/d (tls: verify-full) (auth: iam)');
  });

  it.each([
    [
      'a password in the URL',
      `postgresql://app:pw@h:5432/d${tls}`,
      /carries a password.*remove the password/,
    ],
    ['no TLS', 'postgresql://app@h:5432/d', /needs TLS: add sslmode=verify-full/],
  ])('iam refuses %s, saying what to do', (_what, url, message) => {
    expect(() => withDatabaseAuth(databaseConnection(url, read), 'iam', options)).toThrow(
      DatabaseCredentialsError,
    );
    expect(() => withDatabaseAuth(databaseConnection(url, read), 'iam', options)).toThrow(message);
  });
});

// ------------------------------------------------------------ the pool

const unavailable =
  postgresUnavailable ??
  (ownsPostgres ? undefined : 'TEST_DATABASE_URL: an external server trusts its own rules');
const suite = unavailable ? describe.skip : describe;

suite(
  `a pool with an async password, against PostgreSQL requiring SCRAM${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    const ROLE = 'token_user';
    let pg: PostgresServer;
    let pool: Pool | undefined;

    beforeAll(async () => {
      pg = await startPostgres({ passwordRoles: [ROLE] });
    }, 30_000);
    afterAll(async () => {
      await pool?.end();
      await pg?.remove();
    });

    const admin = async (sql: string) => {
      const p = createPool(databaseConnection(pg.url), { max: 1 });
      try {
        await p.query(sql);
      } finally {
        await p.end();
      }
    };

    it('asks the function for every new connection; a rotated password works from the next connection on', async () => {
      await admin(`CREATE ROLE ${ROLE} LOGIN PASSWORD 'token-one'`);
      let current = 'token-one';
      let calls = 0;
      const base = databaseConnection(`postgresql://${ROLE}@127.0.0.1:${pg.port}/postgres`);
      pool = createPool(
        {
          ...base,
          client: {
            ...base.client,
            password: async () => {
              calls += 1;
              await new Promise((resolve) => setImmediate(resolve)); // really asynchronous
              return current;
            },
          },
        },
        { max: 2 },
      );
      pool.on('error', () => undefined);

      const who = await pool.query<{ user: string }>('SELECT current_user AS user');
      expect(who.rows[0]!.user).toBe(ROLE);
      expect(calls).toBe(1);

      // Rotate (as a new token would be), then force a new connection.
      await admin(`ALTER ROLE ${ROLE} PASSWORD 'token-two'`);
      current = 'token-two';
      const a = await pool.connect();
      const b = await pool.connect(); // the second client is new: it asks again
      b.release();
      a.release();
      expect(calls).toBe(2);
      await pool.end();
      pool = undefined;
    });

    it("a wrong password is PostgreSQL's authentication failure (28P01), not a hang", async () => {
      const base = databaseConnection(`postgresql://${ROLE}@127.0.0.1:${pg.port}/postgres`);
      const wrong = createPool(
        { ...base, client: { ...base.client, password: async () => 'expired-token' } },
        { max: 1 },
      );
      wrong.on('error', () => undefined);
      try {
        await expect(wrong.query('SELECT 1')).rejects.toMatchObject({ code: '28P01' });
      } finally {
        await wrong.end();
      }
    });
  },
);
