import { describe, expect, it } from '@jest/globals'
import { normaliseHost, normalisePath } from '../../src/rules/normalise.js'

describe('normalisePath', () => {
  it.each([
    ['/', '/', false],
    ['', '/', false],
    ['/api/x', '/api/x', false],
    ['/public?x=/admin', '/public', false],
    ['/public#/admin', '/public', false],
    ['/a/./b', '/a/b', false],
    ['/a/../admin', '/admin', false],
    ['/public/%2e%2e/admin', '/admin', false],
    ['/public/%2E%2e/admin', '/admin', false],
    ['/public/.%2e/admin', '/admin', false],
    ['/public/%2e/admin', '/public/admin', false],
    ['/../../admin', '/admin', false],
    ['/a/b/..', '/a/', false],
    ['//admin', '/admin', false],
    ['/a///b//', '/a/b/', false],
    ['/a\\..\\admin', '/admin', false],
    ['/caf%C3%A9', '/café', false],
    ['/a%20b', '/a b', false],
    ['/foo/secret%23/bar', '/foo/secret', true],
    ['/pub%23/../admin', '/admin', true],
    ['/api%2fhealth', '/api/health', true],
    ['/api%2F..%2Fadmin', '/admin', true],
    ['/a%5cb', '/a/b', true],
    ['/a%00b', '/a\u0000b', true],
    ['/bad%zz', '/bad%zz', true],
    ['/bad%ff', '/bad%ff', true],
  ])('%s → %s (ambiguous %s)', (raw, path, ambiguous) => {
    expect(normalisePath(raw)).toEqual({ path, ambiguous })
  })

  it('agrees with WHATWG-parsed pathnames (idempotent on them)', () => {
    for (const raw of ['/a/%2e%2e/b', '/w//x//y', '/a\\b', '/%7euser', '/a/%2E/b/..']) {
      expect(normalisePath(new URL(raw, 'http://h').pathname)).toEqual(normalisePath(raw))
    }
  })
})

describe('normaliseHost', () => {
  it.each([
    ['https://Grafana.Example.COM/x', 'grafana.example.com', '443'],
    ['http://grafana.example.com./x', 'grafana.example.com', '80'],
    ['https://grafana.example.com:8443/', 'grafana.example.com', '8443'],
    ['http://[::1]:81/', '[::1]', '81'],
  ])('%s', (url, host, port) => {
    expect(normaliseHost(new URL(url))).toEqual({ host, port })
  })
})
