/**
 * Who a token is, remembered: used only while the account has not changed
 * since the check began, the token has not expired, and changes can be heard.
 * Also the If-None-Match comparison behind the 304s.
 */
import { noneMatch, PrincipalCache } from '@fittech/api';

const ada = { id: 1, email: 'ada@example.com' };
const later = () => Math.floor(Date.now() / 1000) + 600;

describe('PrincipalCache', () => {
  let cache: PrincipalCache;
  beforeEach(() => {
    cache = new PrincipalCache({ ttlSeconds: 60 });
    cache.resume();
  });

  it('remembers a checked token and gives its user back', () => {
    cache.remember('t', ada, later(), cache.stamp());
    expect(cache.get('t')).toEqual(ada);
    expect(cache.get('another')).toBeUndefined();
  });

  it('forgets a token once it expires (the full check then says why)', () => {
    cache.remember('t', ada, Math.floor(Date.now() / 1000), cache.stamp());
    expect(cache.get('t')).toBeUndefined();
  });

  it('a change of the account heard after the check began wins over the check', () => {
    const stamp = cache.stamp();
    cache.accountChanged(ada.id); // e.g. deleted while the user query ran
    cache.remember('t', ada, later(), stamp);
    expect(cache.get('t')).toBeUndefined();
    cache.remember('t', ada, later(), cache.stamp()); // a check that began after it
    expect(cache.get('t')).toEqual(ada);
    cache.accountChanged(2); // someone else's account
    expect(cache.get('t')).toEqual(ada);
    cache.accountChanged(ada.id);
    expect(cache.get('t')).toBeUndefined();
  });

  it('"any account may have changed" and a lost channel forget everything', () => {
    cache.remember('t', ada, later(), cache.stamp());
    cache.accountChanged(undefined);
    expect(cache.get('t')).toBeUndefined();
    cache.remember('t', ada, later(), cache.stamp());
    cache.suspend();
    expect(cache.get('t')).toBeUndefined();
    cache.remember('u', ada, later(), cache.stamp()); // not while suspended
    cache.resume();
    expect([cache.get('t'), cache.get('u')]).toEqual([undefined, undefined]);
  });

  it('tracks a bounded number of changed accounts, then forgets everything instead', () => {
    const small = new PrincipalCache({ ttlSeconds: 60, maxTrackedAccounts: 2 });
    small.resume();
    small.remember('t', ada, later(), small.stamp());
    small.accountChanged(10);
    small.accountChanged(11);
    expect(small.get('t')).toEqual(ada);
    small.accountChanged(12);
    expect(small.get('t')).toBeUndefined();
  });
});

describe('If-None-Match', () => {
  it.each([
    ['"abc"', '"abc"', true],
    ['W/"abc"', '"abc"', true],
    ['"x", "abc"', '"abc"', true],
    ['*', '"abc"', true],
    ['"abcd"', '"abc"', false],
    ['abc', '"abc"', false],
    ['', '"abc"', false],
  ])('%s against %s: %s', (header, etag, expected) => {
    expect(noneMatch(header, etag)).toBe(expected);
  });
});
