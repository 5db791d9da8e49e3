/**
 * Credentials over HTTP, against real PostgreSQL and Redis: password bounds
 * (bcrypt's 72 bytes), case-insensitive unique emails enforced by the
 * database, tokens bound to the account id and its token version, existing
 * bcrypt hashes, and `Cache-Control: no-store` on tokens and personal data.
 */
import bcryptjs from 'bcryptjs';
import type { Client } from 'pg';
import type { RunningApi } from '@fittech/api';
import { call, newUser, type TestUser } from './support/api';
import { describeWithServers, ONBOARDING, useStack } from './support/stack';

describeWithServers('credentials', () => {
  const stack = useStack();
  let api: RunningApi;
  let db: Client;
  beforeAll(() => ({ api, db } = stack));

  let n = 0;
  const freshEmail = (label: string) => `${label}-${process.pid}-${(n += 1)}@example.com`;
  const register = (email: string, password: string) =>
    call(api, 'POST', '/auth/register', { json: { email, password } });
  const login = (username: string, password: string) =>
    call(api, 'POST', '/auth/token', { form: { username, password } });

  describe('passwords', () => {
    it.each([
      ['an empty', ''],
      ['a one-character', 'x'],
      ['a seven-character', 'abcdefg'],
    ])('refuses %s password with 422 naming the field', async (_what, password) => {
      const res = await register(freshEmail('short'), password);
      expect(res.status).toBe(422);
      expect(res.body.detail).toEqual([
        {
          type: 'string_too_short',
          loc: ['body', 'password'],
          msg: 'String should have at least 8 characters',
        },
      ]);
    });

    it('refuses a password longer than bcrypt reads (72 UTF-8 bytes): at registration and at login', async () => {
      const long = `${'p'.repeat(72)}${'tail'.repeat(2_500)}`; // 10 kB
      const res = await register(freshEmail('long'), long);
      expect(res.status).toBe(422);
      expect(res.body.detail[0]).toMatchObject({
        type: 'string_too_long',
        loc: ['body', 'password'],
      });

      // Exactly 72 bytes is accepted; the same 72 bytes with any tail cannot log in.
      const email = freshEmail('seventy-two');
      const exact = 'p'.repeat(72);
      expect((await register(email, exact)).status).toBe(201);
      expect((await login(email, exact)).status).toBe(200);
      for (const tail of ['X', 'another tail', 'tail'.repeat(2_500)]) {
        const res = await login(email, exact + tail);
        expect([tail.length, res.status]).toEqual([tail.length, 422]);
      }
      // Multi-byte characters count in bytes: 36 × "é" is 72 bytes, 37 is 74.
      expect((await register(freshEmail('accents'), 'é'.repeat(36))).status).toBe(201);
      expect((await register(freshEmail('accents'), 'é'.repeat(37))).status).toBe(422);
    });

    it('verifies existing bcrypt hashes: the original service\u2019s $2b$12$ (passlib) and $2a$', async () => {
      const accounts: [string, string, string][] = [
        // Made like the original's passlib hashes (bcrypt, $2b$, cost 12).
        [freshEmail('passlib'), 'original password', bcryptjs.hashSync('original password', 12)],
        // OpenBSD's test vector ("U*U", cost 5, $2a$).
        [
          freshEmail('vector'),
          'U*U',
          '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW',
        ],
      ];
      for (const [email, password, hash] of accounts) {
        await db.query('INSERT INTO users (email, hashed_password) VALUES ($1, $2)', [email, hash]);
        expect((await login(email, password)).status).toBe(200);
        expect((await login(email, `${password}!`)).status).toBe(400);
      }
    });

    it('stores new passwords as bcrypt hashes of the configured cost, never in clear', async () => {
      const email = freshEmail('stored');
      await register(email, 'correct horse battery');
      const { rows } = await db.query('SELECT hashed_password FROM users WHERE email = $1', [
        email,
      ]);
      expect(rows[0].hashed_password).toMatch(/^\$2b\$04\$[./A-Za-z0-9]{53}$/);
      expect(bcryptjs.compareSync('correct horse battery', rows[0].hashed_password)).toBe(true);
    });
  });

  describe('emails', () => {
    it('RT-A@example.com and rt-a@example.com are one account: the second registration is 400', async () => {
      const local = `RT-A-${process.pid}`;
      const first = await register(`${local}@example.com`, 'long-enough');
      expect(first.status).toBe(201);
      const second = await register(`${local.toLowerCase()}@EXAMPLE.com`, 'long-enough');
      expect(second.status).toBe(400);
      expect(second.body).toEqual({ detail: 'Email already registered' });
      // Any spelling logs in to the same account.
      for (const username of [`${local.toLowerCase()}@example.com`, ` ${local}@Example.COM `]) {
        expect((await login(username, 'long-enough')).status).toBe(200);
      }
    });

    it('trims the email before storing it', async () => {
      const email = freshEmail('trim');
      const res = await register(`  ${email}\t`, 'long-enough');
      expect([res.status, res.body.email]).toEqual([201, email]);
    });

    it('simultaneous registrations of one email in different cases: exactly one wins', async () => {
      const local = `Race-${process.pid}`;
      const spellings = [
        `${local}@example.com`,
        `${local.toLowerCase()}@example.com`,
        `${local.toUpperCase()}@EXAMPLE.COM`,
      ];
      const replies = await Promise.all(spellings.map((email) => register(email, 'long-enough')));
      expect(replies.map((r) => r.status).sort()).toEqual([201, 400, 400]);
    });

    it('the database itself refuses a second spelling and untrimmed emails (not only the code)', async () => {
      const email = freshEmail('Db-Level');
      await db.query('INSERT INTO users (email, hashed_password) VALUES ($1, $2)', [email, 'x']);
      await expect(
        db.query('INSERT INTO users (email, hashed_password) VALUES ($1, $2)', [
          email.toUpperCase(),
          'x',
        ]),
      ).rejects.toMatchObject({ code: '23505', constraint: 'users_email_lower_key' });
      await expect(
        db.query('INSERT INTO users (email, hashed_password) VALUES ($1, $2)', [
          ` ${freshEmail('sp')}`,
          'x',
        ]),
      ).rejects.toMatchObject({ code: '23514', constraint: 'users_email_trimmed' });
    });
  });

  describe('tokens', () => {
    it('a deleted account\u2019s token never acts on the account re-registered with the same email', async () => {
      const old = await newUser(api, 'reborn');
      const food = `/users/${old.id}/food-logs`;
      expect((await call(api, 'GET', food, { token: old.token })).status).toBe(200);
      await db.query('DELETE FROM users WHERE id = $1', [old.id]);

      const again = await register(old.email, 'a new password');
      expect(again.status).toBe(201);
      expect(again.body.id).not.toBe(old.id);
      const newFood = `/users/${again.body.id}/food-logs`;
      // The old token names the old id: 404 as the original for a missing user, never the new account.
      const replies = [
        await call(api, 'GET', '/dashboard', { token: old.token }),
        await call(api, 'GET', newFood, { token: old.token }),
        await call(api, 'POST', newFood, { token: old.token, json: { food_name: 'intruder' } }),
      ];
      expect(replies.map((r) => [r.status, r.body])).toEqual([
        [404, { detail: 'User not found' }],
        [404, { detail: 'User not found' }],
        [404, { detail: 'User not found' }],
      ]);
      const { rows } = await db.query(
        'SELECT count(*)::int AS n FROM food_logs WHERE user_id = $1',
        [again.body.id],
      );
      expect(rows[0].n).toBe(0);
    });

    it('POST /auth/logout revokes every token of the account (401), a new login works', async () => {
      const user: TestUser = await newUser(api, 'logout');
      const second = (await login(user.email, user.password)).body.access_token as string;
      const path = `/users/${user.id}/onboarding`;
      expect((await call(api, 'GET', path, { token: second })).status).toBe(404); // no onboarding yet

      const out = await call(api, 'POST', '/auth/logout', { token: user.token });
      expect(out.status).toBe(204);
      for (const token of [user.token, second]) {
        const res = await call(api, 'GET', path, { token });
        expect([res.status, res.body]).toEqual([401, { detail: 'Invalid token' }]);
        expect(res.headers.get('www-authenticate')).toContain('revoked');
      }
      expect((await call(api, 'POST', '/auth/logout', { token: user.token })).status).toBe(401);

      const fresh = (await login(user.email, user.password)).body.access_token as string;
      expect((await call(api, 'GET', path, { token: fresh })).status).toBe(404);
      expect((await call(api, 'POST', '/auth/logout')).status).toBe(401);
    });
  });

  describe('Cache-Control', () => {
    it('no-store (and Pragma: no-cache) on the token response, no-store on every personal-data response', async () => {
      const user = await newUser(api, 'nostore');
      const token = await login(user.email, user.password);
      expect(token.headers.get('cache-control')).toBe('no-store');
      expect(token.headers.get('pragma')).toBe('no-cache');

      await call(api, 'POST', `/users/${user.id}/onboarding`, {
        token: user.token,
        json: ONBOARDING,
      });
      const personal: [string, string, unknown?][] = [
        ['POST', '/auth/register', { email: freshEmail('nostore'), password: 'long-enough' }],
        ['GET', `/users/${user.id}/onboarding`],
        ['GET', `/users/${user.id}/food-logs`],
        ['POST', `/users/${user.id}/food-logs`, { food_name: 'tea' }],
        ['GET', `/users/${user.id}/workout-logs`],
        ['GET', '/dashboard'],
        ['GET', '/dashboard'], // a cache hit too
      ];
      for (const [method, path, json] of personal) {
        const res = await call(api, method, path, { token: user.token, json });
        expect([method, path, res.status < 300, res.headers.get('cache-control')]).toEqual([
          method,
          path,
          true,
          'no-store',
        ]);
      }
    });
  });
});
