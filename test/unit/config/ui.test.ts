import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { buildConfig } from '../../../src/config/load.js'
import { MAX_LOGO_BYTES, sniffImage, uiSchema } from '../../../src/config/ui.js'
import { ConfigError } from '../../../src/errors.js'
import { checkProperty } from '../../helpers/property.js'

const SECRET = Buffer.alloc(32, 7).toString('base64')
const withUi = (ui: unknown) => ({
  server: { listen: '127.0.0.1:4180', publicUrl: 'https://auth.example.com' },
  cookie: { secret: SECRET },
  providers: [{ id: 'corp', type: 'keycloak', issuer: 'https://sso.example.com/realms/corp', clientId: 'gatehouse', clientSecret: 'x' }],
  authorization: {},
  ...(ui === undefined ? {} : { ui }),
})

async function problems(ui: unknown, baseDir?: string): Promise<string[]> {
  try {
    await buildConfig(withUi(ui), { env: {}, baseDir })
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  return []
}

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-ui-'))
const file = (name: string, bytes: Buffer | string) => {
  writeFileSync(join(dir, name), bytes)
  return name
}
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)])

describe('ui config', () => {
  it('has no branding by default', async () => {
    expect((await buildConfig(withUi(undefined), { env: {} })).ui).toEqual({})
  })

  it('reads the logo relative to the config folder, by content type, and normalises the accent', async () => {
    const config = await buildConfig(withUi({ title: ' ACME ', logo: file('logo.png', PNG), footer: 'x', accent: '#0A7' }), { env: {}, baseDir: dir })
    expect(config.ui).toMatchObject({ title: 'ACME', footer: 'x', accent: '#00aa77', logo: { contentType: 'image/png' } })
    expect(config.ui.logo!.bytes.equals(PNG)).toBe(true)
  })

  it('names the key for a missing, oversized or non-image logo, whatever its file name says', async () => {
    expect(await problems({ logo: 'nope.svg' }, dir)).toEqual([expect.stringMatching(/^ui\.logo: cannot read .*nope\.svg \(ENOENT\)$/)])
    const big = file('big.png', Buffer.concat([PNG, Buffer.alloc(MAX_LOGO_BYTES)]))
    expect(await problems({ logo: big }, dir)).toEqual([expect.stringMatching(/^ui\.logo: .* at most 262144/)])
    const html = file('page.png', '<!doctype html><script>alert(1)</script>')
    expect(await problems({ logo: html }, dir)).toEqual([expect.stringMatching(/^ui\.logo: .* is not a PNG, JPEG, GIF, WebP or SVG image$/)])
  })

  it('refuses unknown keys, and any accent that is not a hex colour (no CSS can be smuggled in)', async () => {
    expect(await problems({ colour: '#fff' })).toEqual(['ui: unknown key(s) "colour"'])
    expect(await problems({ accent: 'red;}body{display:none' })).toEqual([expect.stringMatching(/^ui\.accent: must be a CSS hex colour/)])
    const HEX = /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/
    const candidates = fc.oneof(fc.string({ maxLength: 12 }), fc.stringMatching(HEX), fc.stringMatching(/^#[0-9a-fA-F;}{()/ ]{2,8}$/))
    checkProperty(fc.property(candidates, (accent) => expect(uiSchema.safeParse({ accent }).success).toBe(HEX.test(accent))))
  })

  it('sniffs images by their bytes', () => {
    expect(sniffImage(PNG)).toBe('image/png')
    expect(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]))).toBe('image/jpeg')
    expect(sniffImage(Buffer.from('GIF89a......'))).toBe('image/gif')
    expect(sniffImage(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp')
    expect(sniffImage(Buffer.from('\uFEFF<?xml version="1.0"?>\n<!-- c -->\n<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('image/svg+xml')
    for (const text of ['<html><svg>', '<svgfoo>', 'GIF8', '{"svg":1}', '']) expect(sniffImage(Buffer.from(text))).toBeUndefined()
  })
})
