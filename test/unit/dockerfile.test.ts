/**
 * The Dockerfile cannot be built here (no Docker engine): these checks keep it consistent with the repository.
 * What it relies on at run time (production install, non-root, read-only filesystem, SIGTERM) is run for real in
 * test/package/packed-install.test.ts.
 */
import { describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync } from 'node:fs'

const dockerfile = readFileSync('Dockerfile', 'utf8')
const lines = dockerfile.split('\n').filter((l) => l.trim() && !l.trimStart().startsWith('#'))
const stages = dockerfile.split(/^FROM /m).slice(1)
const runtime = stages[stages.length - 1]!
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }
const ignore = readFileSync('.dockerignore', 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))

describe('Dockerfile', () => {
  it('runs the same entry point as npm start and the bin, as PID 1 in exec form', () => {
    const entry = /^ENTRYPOINT \["[^"]+", "([^"]+)"\]$/m.exec(runtime)?.[1]
    expect(entry).toBe('dist/src/cli.js')
    expect(pkg.scripts.start).toBe(`exec node ${entry} serve`)
    expect(readFileSync('bin/gatehouse.js', 'utf8')).toContain(`'../${entry}'`)
    expect(runtime).toMatch(/^CMD \["serve", "--config", "[^"]+"\]$/m)
  })

  it('runs as a numeric non-root user, with no shell step in the runtime stage', () => {
    const user = /^USER (\d+):(\d+)$/m.exec(runtime)
    expect(user).not.toBeNull()
    expect(Number(user![1])).toBeGreaterThan(0)
    expect(runtime).not.toMatch(/^RUN /m)
  })

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const sources = lines
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.replace(/^COPY\s+(--\S+\s+)*/, '').split(/\s+/).slice(0, -1))
    expect(sources.length).toBeGreaterThan(5)
    for (const src of sources) {
      expect({ src, exists: existsSync(src) }).toEqual({ src, exists: true })
      expect({ src, allowed: ignore.includes(`!${src.replace(/\/$/, '')}`) || ignore.includes(`!${src.replace(/\/?$/, '/')}`) }).toEqual({ src, allowed: true })
    }
    expect(ignore[0]).toBe('*')
  })

  it('installs production dependencies only, from the lock file, without install scripts, and labels the image', () => {
    expect(dockerfile).toContain('npm ci --omit=dev --ignore-scripts')
    for (const label of ['title', 'description', 'version', 'revision', 'created', 'licenses', 'base.name']) {
      expect(dockerfile).toContain(`org.opencontainers.image.${label}=`)
    }
  })
})
