import { createHash } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { contrastRatio, pageStyle, textOn } from '../../../src/http/page-style.js'
import { forbiddenPage, messagePage, pageUi, signedOutPage, signInPage, signOutConfirmPage } from '../../../src/http/pages.js'
import { checkProperty } from '../../helpers/property.js'

const publicUrl = new URL('https://auth.example.com')
const hex6 = fc.stringMatching(/^#[0-9a-f]{6}$/)
const styleOf = (html: string) => html.match(/<style>([\s\S]*?)<\/style>/)![1]!
const tags = (html: string) => html.split('<').length

describe('page style', () => {
  it('the button text on any accent colour reads at WCAG AA (4.5:1) or better', () => {
    checkProperty(fc.property(hex6, (accent) => expect(contrastRatio(accent, textOn(accent))).toBeGreaterThanOrEqual(4.5)))
  })

  it('the CSP allows exactly the inline stylesheet, by hash, and nothing that runs', () => {
    checkProperty(
      fc.property(fc.option(hex6, { nil: undefined }), (accent) => {
        const p = pageUi(accent ? { accent } : {}, publicUrl)
        const html = messagePage(p, 'Title', 'message')
        const hash = createHash('sha256').update(styleOf(html)).digest('base64')
        expect(p.style.csp).toContain(`style-src 'sha256-${hash}'`)
        expect(p.style.csp).toMatch(/^default-src 'none'; /)
        expect(p.style.csp).not.toMatch(/unsafe|script-src|data:|\*/)
        expect(html).not.toMatch(/<script|\son\w+=|javascript:/i)
      }),
      100,
    )
  })

  it('the default style has the same hash everywhere (no config needed)', () => {
    expect(pageUi(undefined).style.csp).toBe(pageStyle(undefined).csp)
  })
})

describe('pages', () => {
  const text = fc.string({ maxLength: 60 }).map((s) => s + '<img src=x onerror=alert(1)>"\'&')

  it('every text that comes from config, an IdP or a request is escaped: no page gains a tag', () => {
    checkProperty(
      fc.property(text, text, text, (title, footer, who) => {
        const plain = pageUi({ title: 'T', footer: 'F' }, publicUrl)
        const hostile = pageUi({ title, footer }, publicUrl)
        const view = (w: string) => ({ who: w, signOutAction: '/oauth2/sign_out', token: 't', switchRd: '/oauth2/start?a=1' })
        expect(tags(forbiddenPage(hostile, view(who)))).toBe(tags(forbiddenPage(plain, view('w'))))
        expect(tags(messagePage(hostile, who, who, who, { href: who, label: who }))).toBe(tags(messagePage(plain, 'a', 'b', 'c', { href: 'd', label: 'e' })))
        expect(tags(signOutConfirmPage(hostile, '/oauth2/sign_out', who, who))).toBe(tags(signOutConfirmPage(plain, '/oauth2/sign_out', 'r', 't')))
        expect(tags(signInPage(hostile, [{ id: who, label: who, href: who }]))).toBe(tags(signInPage(plain, [{ id: 'i', label: 'l', href: 'h' }])))
        expect(tags(signedOutPage(hostile, who))).toBe(tags(signedOutPage(plain, 'h')))
      }),
      200,
    )
  })

  it('the forbidden page names the account and offers both ways out as POST forms', () => {
    const html = forbiddenPage(pageUi(undefined), { who: 'bob@example.com', signOutAction: '/oauth2/sign_out', token: 'tok', switchRd: '/oauth2/start?provider=corp&switch_account=1' })
    expect(html).toContain('<strong id="who">bob@example.com</strong>')
    expect(html.match(/<form method="post" action="\/oauth2\/sign_out">/g)).toHaveLength(2)
    expect(html).toContain('value="/oauth2/start?provider=corp&amp;switch_account=1"')
    expect(forbiddenPage(pageUi(undefined), { signOutAction: '/x', token: 't', switchRd: '/y' })).not.toContain('id="who"')
  })

  it('brands a page only when asked: logo from the public URL, title in <title>', () => {
    const logo = { bytes: Buffer.from('x'), contentType: 'image/png' }
    const html = signedOutPage(pageUi({ title: 'ACME', logo }, publicUrl), '/s')
    expect(html).toContain('<img class="logo" src="https://auth.example.com/oauth2/static/logo" alt="">')
    expect(html).toContain('<title>Signed out · ACME</title>')
    const plain = signedOutPage(pageUi(undefined), '/s')
    expect(plain).not.toMatch(/<img|<footer|class="brand"/)
    expect(plain).toContain('<title>Signed out</title>')
  })
})
