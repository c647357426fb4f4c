import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CookieJar } from '../../src/engine/http/cookies';

test('host-only cookies, domain cookies and paths', () => {
  const jar = new CookieJar();
  jar.set('a=1', 'shop.example.com', '/cart/items', false);
  jar.set('b=2; Domain=example.com; Path=/', 'shop.example.com', '/', false);
  jar.set('c=3; Path=/api', 'shop.example.com', '/', false);
  jar.set('evil=1; Domain=other.com', 'shop.example.com', '/', false);
  assert.equal(jar.header('shop.example.com', '/cart/items/9', false), 'a=1; b=2');
  assert.equal(jar.header('shop.example.com', '/api/x', false), 'c=3; b=2');
  assert.equal(jar.header('shop.example.com', '/apix', false), 'b=2');
  assert.equal(jar.header('www.example.com', '/cart', false), 'b=2');
  assert.equal(jar.header('other.com', '/', false), undefined);
});

test('expiry, deletion, replacement and Secure', () => {
  const jar = new CookieJar();
  const now = Date.parse('2030-01-01T00:00:00Z');
  jar.set('s=1; Max-Age=10', 'h', '/', false, now);
  jar.set('e=1; Expires=Wed, 01 Jan 2020 00:00:00 GMT', 'h', '/', false, now);
  jar.set('k=1', 'h', '/', false, now);
  jar.set('k=2', 'h', '/', false, now);
  jar.set('sec=1; Secure', 'h', '/', false, now);
  assert.equal(jar.header('h', '/', false, now), 's=1; k=2');
  jar.set('k=gone; Max-Age=0', 'h', '/', false, now);
  assert.equal(jar.header('h', '/', false, now), 's=1');
  jar.set('sec=1; Secure', 'h', '/', true, now);
  assert.equal(jar.header('h', '/', true, now), 's=1; sec=1');
  assert.equal(jar.header('h', '/', false, now), 's=1');
  // Max-Age=10 has passed.
  assert.equal(jar.header('h', '/', true, now + 11_000), 'sec=1');
});
