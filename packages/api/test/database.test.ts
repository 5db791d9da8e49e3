/**
 * DATABASE_URL → node-postgres settings (TLS never skips certificate checks
 * unless asked by name), proven against a PostgreSQL server that speaks TLS;
 * and the migrations (idempotent, serialised, tamper-evident).
 */
import { rmSync } from 'node:fs';
import { Client } from 'pg';
import {
  createPool,
  databaseConnection,
  DatabaseUrlError,
  isoDate,
  isoTimestamp,
  MIGRATION_TIMEOUTS,
  migrations,
  MigrationError,
  runMigrations,
  sessionConfig,
} from '@fittech/api';
import {
  makeTlsFiles,
  opensslUnavailable,
  ownsPostgres,
  postgresUnavailable,
  scratchDir,
  startPostgres,
  type PostgresServer,
  type TlsFiles,
} from '../../../tools/support/servers';

describe('databaseConnection (DATABASE_URL)', () => {
  const noFiles = { readFile: (path: string) => Buffer.from(`contents of ${path}`) };

  it('reads host, port, user, password (percent-decoded) and database', () => {
    const { client, sslMode, description } = databaseConnection(
      'postgresql://fit%40user:p%40ss%2Fword@db.example.com:6543/fittech',
    );
    expect(client).toMatchObject({
      host: 'db.example.com',
      port: 6543,
      user: 'fit@user',
      password: 'p@ss/word',
      database: 'fittech',
      ssl: false,
    });
    expect(sslMode).toBe('disable');
    expect(description).toBe('fit@user@db.example.com:6543/fittech (tls: disable)');
    expect(description).not.toContain('word');
  });

  it('verify-full (RDS): the CA bundle from sslrootcert, certificate and host checked', () => {
    const { client } = databaseConnection(
      'postgresql://u:p@fittech.abc.us-east-1.rds.amazonaws.com:5432/fittech?sslmode=verify-full&sslrootcert=/app/certs/rds-global-bundle.pem',
      noFiles,
    );
    expect(client.ssl).toEqual({
      rejectUnauthorized: true,
      ca: Buffer.from('contents of /app/certs/rds-global-bundle.pem'),
      servername: 'fittech.abc.us-east-1.rds.amazonaws.com',
    });
  });

  it('require verifies as well (only no-verify skips the checks)', () => {
    const required = databaseConnection('postgresql://u@h/db?sslmode=require', noFiles).client.ssl;
    expect(required).toMatchObject({ rejectUnauthorized: true });
    const noVerify = databaseConnection('postgresql://u@h/db?sslmode=no-verify', noFiles).client
      .ssl;
    expect(noVerify).toMatchObject({ rejectUnauthorized: false });
  });

  it.each([
    ['mysql://u@h/db', /scheme "mysql:"/],
    ['not a url', /is not a URL/],
    ['postgresql://u@h/db?sslmode=prefer', /sslmode=prefer.*fall back/],
    ['postgresql://u@h/db?sslmode=strict', /sslmode=strict; expected one of/],
    ['postgresql://u@h/db?ssl_mode=verify-full', /unsupported parameter "ssl_mode"/],
    ['postgresql://u@h/db?sslrootcert=/ca.pem', /TLS files but no sslmode/],
    ['postgresql://u@h/db?connect_timeout=soon', /connect_timeout=soon/],
  ])('%s is refused, saying why', (url, message) => {
    expect(() => databaseConnection(url, noFiles)).toThrow(DatabaseUrlError);
    expect(() => databaseConnection(url, noFiles)).toThrow(message);
  });

  it('names an unreadable certificate file and what to do', () => {
    expect(() =>
      databaseConnection('postgresql://u@h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem'),
    ).toThrow(/sslrootcert=\/nonexistent\/ca.pem, which cannot be read \(ENOENT\); mount or bake/);
  });
});

describe('isoTimestamp and isoDate: everything PostgreSQL returns leaves as ISO 8601', () => {
  it.each([
    ['2025-08-21 13:33:10.012+00', '2025-08-21T13:33:10.012000Z'],
    ['2025-08-21 13:33:10+00', '2025-08-21T13:33:10Z'],
    ['2025-08-21 13:33:10.123456+00', '2025-08-21T13:33:10.123456Z'],
    ['2025-08-21 13:33:10', '2025-08-21T13:33:10Z'], // timestamp without time zone
    // Years PostgreSQL writes its own way: 1 BC is ISO year 0000, then the expanded form.
    ['0001-12-31 23:00:00+00 BC', '0000-12-31T23:00:00Z'],
    ['0002-01-01 00:00:00+00 BC', '-000001-01-01T00:00:00Z'],
    ['10000-01-01 01:00:00+00', '+010000-01-01T01:00:00Z'],
    // No ISO 8601 form: null, never a string a client cannot parse.
    ['infinity', null],
    ['-infinity', null],
  ])('timestamp %s → %s', (text, iso) => {
    expect(isoTimestamp(text)).toBe(iso);
  });

  it.each([
    ['2025-08-21', '2025-08-21'],
    ['0001-01-01 BC', '0000-01-01'],
    ['10000-01-01', '+010000-01-01'],
    ['infinity', null],
  ])('date %s → %s', (text, iso) => {
    expect(isoDate(text)).toBe(iso);
  });
});

const unavailable = postgresUnavailable ?? opensslUnavailable;
const withServer = unavailable || !ownsPostgres ? describe.skip : describe;
withServer(
  `against a TLS-enabled PostgreSQL${unavailable ? ` (skipped: ${unavailable})` : !ownsPostgres ? ' (skipped: TEST_DATABASE_URL is set; these tests need their own server with TLS)' : ''}`,
  () => {
    let pg: PostgresServer;
    let tls: TlsFiles;
    let dir: string;

    beforeAll(async () => {
      dir = scratchDir('fittech-tls-');
      tls = makeTlsFiles(dir);
      pg = await startPostgres({ tls });
    }, 30_000);
    afterAll(async () => {
      await pg?.remove();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const connect = async (query: string) => {
      const client = new Client(
        sessionConfig(databaseConnection(`postgresql://postgres@${query}`)),
      );
      client.on('error', () => undefined);
      try {
        await client.connect();
        const { rows } = await client.query<{ ssl: boolean }>(
          'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
        );
        return rows[0]!.ssl;
      } finally {
        await client.end().catch(() => undefined);
      }
    };

    it('verify-full with the right CA connects over TLS', async () => {
      expect(
        await connect(
          `localhost:${pg.port}/postgres?sslmode=verify-full&sslrootcert=${tls.caCert}`,
        ),
      ).toBe(true);
    });

    it('verify-full with another CA is refused (the certificate is checked)', async () => {
      await expect(
        connect(`localhost:${pg.port}/postgres?sslmode=verify-full&sslrootcert=${tls.otherCaCert}`),
      ).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    });

    it('verify-full to a name the certificate does not carry is refused; verify-ca accepts it', async () => {
      // The certificate names localhost, not 127.0.0.1 (the same server).
      const url = (mode: string) =>
        `127.0.0.1:${pg.port}/postgres?sslmode=${mode}&sslrootcert=${tls.caCert}`;
      await expect(connect(url('verify-full'))).rejects.toThrow(
        /IP: 127.0.0.1 is not in the cert's list/,
      );
      expect(await connect(url('verify-ca'))).toBe(true);
    });

    it('require without a CA refuses the unknown certificate instead of skipping the check', async () => {
      await expect(connect(`localhost:${pg.port}/postgres?sslmode=require`)).rejects.toThrow(
        /self[- ]signed|unable to (verify|get)|certificate/i,
      );
    });

    it('no-verify, asked for by name, connects without checking', async () => {
      expect(await connect(`localhost:${pg.port}/postgres?sslmode=no-verify`)).toBe(true);
    });

    it('sessions run in UTC whatever the database default', async () => {
      const admin = new Client({ connectionString: pg.url });
      await admin.connect();
      await admin.query("ALTER DATABASE postgres SET TimeZone = 'Asia/Kolkata'");
      try {
        const plain = new Client({ connectionString: pg.url });
        await plain.connect();
        const ours = new Client(sessionConfig(databaseConnection(pg.url)));
        await ours.connect();
        const zones = [
          (await plain.query('SHOW TimeZone')).rows[0].TimeZone,
          (await ours.query('SHOW TimeZone')).rows[0].TimeZone,
        ];
        await Promise.all([plain.end(), ours.end()]);
        expect(zones).toEqual(['Asia/Kolkata', 'UTC']);
      } finally {
        await admin.query('ALTER DATABASE postgres RESET TimeZone');
        await admin.end();
      }
    });
  },
);

const migrationSuite = postgresUnavailable ? describe.skip : describe;
migrationSuite(
  `migrations${postgresUnavailable ? ` (skipped: ${postgresUnavailable})` : ''}`,
  () => {
    let pg: PostgresServer;
    beforeAll(async () => {
      pg = await startPostgres();
    }, 30_000);
    afterAll(async () => {
      await pg?.remove();
    });

    /**
     * Migrations run without the request timeouts, as `migrate.js` runs them.
     * pool.end() resolves before its connections have closed: the server
     * stopping right after (afterAll) may still reach one, which is no failure.
     */
    const pool = (url = pg.url) => {
      const p = createPool(databaseConnection(url), { max: 4, timeouts: MIGRATION_TIMEOUTS });
      p.on('error', () => undefined);
      return p;
    };

    it('apply once, then report nothing to do; concurrent runs are serialised', async () => {
      const p = pool();
      try {
        const results = await Promise.all([runMigrations(p), runMigrations(p), runMigrations(p)]);
        const appliedRuns = results.filter((r) => r.applied.length > 0);
        expect(appliedRuns).toHaveLength(1);
        expect(appliedRuns[0]!.applied).toEqual(migrations.map((m) => m.version));
        const again = await runMigrations(p);
        expect(again).toEqual({ applied: [], version: migrations.at(-1)!.version });
        const { rows } = await p.query(
          "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('users','onboarding','food_logs','workout_logs')",
        );
        expect(rows[0].n).toBe(4);
      } finally {
        await p.end();
      }
    });

    it('refuse to go on when an applied migration was edited', async () => {
      const p = pool();
      try {
        const edited = migrations.map((m) => ({ ...m, sql: `${m.sql}\n-- edited` }));
        await expect(runMigrations(p, undefined, edited)).rejects.toThrow(MigrationError);
        await expect(runMigrations(p, undefined, edited)).rejects.toThrow(
          /Migration 1 .* was changed after it was applied/,
        );
      } finally {
        await p.end();
      }
    });

    it('migration 2 stops on emails that collide case-insensitively, says what to do, and changes nothing', async () => {
      const admin = new Client({ connectionString: pg.url });
      await admin.connect();
      await admin.query('CREATE DATABASE collide');
      await admin.end();
      const url = pg.url.replace(/\/postgres$/, '/collide');
      const p = pool(url);
      try {
        await runMigrations(p, undefined, migrations.slice(0, 1));
        await p.query(
          "INSERT INTO users (email, hashed_password) VALUES ('Ada@example.com', 'x'), ('ada@example.com ', 'y')",
        );
        await expect(runMigrations(p)).rejects.toThrow(
          /Migration 2 .* failed and was rolled back: 1 email address\(es\) belong to more than one account .*Hint: List them with: SELECT/,
        );
        const { rows } = await p.query(
          "SELECT (SELECT max(version) FROM schema_migrations) AS version, to_regclass('rate_limits') AS rate_limits",
        );
        expect(rows[0]).toEqual({ version: 1, rate_limits: null });
        // Once the accounts are sorted out, it applies.
        await p.query("DELETE FROM users WHERE email = 'ada@example.com '");
        // (and the ones after it)
        expect((await runMigrations(p)).applied).toEqual(
          migrations.filter((m) => m.version >= 2).map((m) => m.version),
        );
      } finally {
        await p.end();
      }
    });

    it('roll a failing migration back entirely and name it', async () => {
      const p = pool();
      try {
        const broken = [
          ...migrations,
          {
            version: 999,
            name: 'broken',
            sql: 'CREATE TABLE half_done (id int); SELECT * FROM missing_table;',
          },
        ];
        await expect(runMigrations(p, undefined, broken)).rejects.toThrow(
          /Migration 999 \("broken"\) failed and was rolled back: .*missing_table/,
        );
        const { rows } = await p.query("SELECT to_regclass('half_done') AS t");
        expect(rows[0].t).toBeNull();
      } finally {
        await p.end();
      }
    });
  },
);
