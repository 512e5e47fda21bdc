// A headless "browser" for integration tests: fetch with manual redirects and a cookie jar.
// Like real browsers, cookies are scoped by host name, not port, so every 127.0.0.1 service in a
// test shares one cookie space. SameSite is not enforced; Secure cookies are sent over https and
// to loopback hosts only.

export interface BrowserResponse {
  status: number
  headers: Headers
  body: string
  url: string
  /** absolute Location target of a redirect */
  location?: string
}

export interface StoredCookie {
  name: string
  value: string
  domain: string
  hostOnly: boolean
  path: string
  expires?: number
  secure: boolean
  httpOnly: boolean
  sameSite?: string
}

export interface FollowOptions {
  maxHops?: number
  /** stop before requesting a URL for which this returns true; the redirect is returned */
  stopAt?: (url: URL) => boolean
  /** submit self-submitting HTML forms (what a browser with JS does); default true */
  autoSubmit?: boolean
}

export interface HtmlForm {
  action: string
  method: string
  id?: string
  fields: Record<string, string>
  autoSubmit: boolean
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

function defaultPath(url: URL): string {
  const p = url.pathname
  if (!p.startsWith('/') || p.lastIndexOf('/') === 0) return '/'
  return p.slice(0, p.lastIndexOf('/'))
}

function pathMatches(cookiePath: string, reqPath: string): boolean {
  if (reqPath === cookiePath) return true
  if (!reqPath.startsWith(cookiePath)) return false
  return cookiePath.endsWith('/') || reqPath[cookiePath.length] === '/'
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag)
  if (!m) return new RegExp(`\\s${name}(?=[\\s>/])`, 'i').test(tag) ? '' : undefined
  return decodeEntities(m[1] ?? m[2] ?? m[3] ?? '')
}

function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&')
}

/** Forms of an HTML page with their hidden/text inputs; action resolved against baseUrl. */
export function parseForms(html: string, baseUrl: string): HtmlForm[] {
  const forms: HtmlForm[] = []
  const scriptSubmits = /\.submit\(\)/.test(html)
  for (const m of html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/gi)) {
    const tag = /^<form\b[^>]*>/i.exec(m[0])![0]
    const fields: Record<string, string> = {}
    for (const input of m[1].matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(input[0], 'name')
      const type = (attr(input[0], 'type') ?? 'text').toLowerCase()
      if (!name || type === 'submit' || type === 'button') continue
      const unchecked = attr(input[0], 'checked') === undefined
      if ((type === 'checkbox' || type === 'radio') && unchecked) continue
      fields[name] = attr(input[0], 'value') ?? ''
    }
    forms.push({
      action: new URL(attr(tag, 'action') || baseUrl, baseUrl).href,
      method: (attr(tag, 'method') ?? 'get').toLowerCase(),
      id: attr(tag, 'id'),
      fields,
      autoSubmit: attr(tag, 'data-autosubmit') !== undefined || scriptSubmits,
    })
  }
  return forms
}

export class CookieJarClient {
  private jar: StoredCookie[] = []

  constructor() {}

  async get(url: string, headers: Record<string, string> = {}): Promise<BrowserResponse> {
    return this.request('GET', url, undefined, headers)
  }

  async post(
    url: string,
    form: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<BrowserResponse> {
    return this.request('POST', url, new URLSearchParams(form).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    })
  }

  /** GET url and follow redirects (and self-submitting forms), keeping cookies. */
  async follow(url: string, opts: FollowOptions = {}): Promise<BrowserResponse> {
    return this.continueFrom(await this.get(url), opts)
  }

  /** Keep following from a response already obtained (e.g. the login POST's redirect). */
  async continueFrom(res: BrowserResponse, opts: FollowOptions = {}): Promise<BrowserResponse> {
    const maxHops = opts.maxHops ?? 20
    for (let hop = 0; ; hop++) {
      let next: { method: 'GET' | 'POST'; url: string; form?: Record<string, string> } | undefined
      if (res.location && res.status >= 300 && res.status < 400) {
        next = { method: 'GET', url: res.location }
      } else if (opts.autoSubmit !== false && res.status === 200 && isHtml(res)) {
        const form = parseForms(res.body, res.url).find((f) => f.autoSubmit)
        if (form) {
          const method = form.method === 'post' ? 'POST' : 'GET'
          next = { method, url: form.action, form: form.fields }
        }
      }
      if (!next) return res
      if (opts.stopAt?.(new URL(next.url))) return res
      if (hop >= maxHops) throw new Error(`too many redirects (>${maxHops}) at ${res.url}`)
      if (next.method === 'POST') {
        res = await this.post(next.url, next.form ?? {})
      } else if (next.form) {
        const u = new URL(next.url)
        for (const [k, v] of Object.entries(next.form)) u.searchParams.set(k, v)
        res = await this.get(u.href)
      } else {
        res = await this.get(next.url)
      }
    }
  }

  /** The Cookie header value a browser would send to forUrl. */
  cookies(forUrl: string): string {
    return this.cookiesFor(new URL(forUrl))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ')
  }

  /** A cookie (with its attributes) that would be sent to forUrl. */
  getCookie(name: string, forUrl: string): StoredCookie | undefined {
    return this.cookiesFor(new URL(forUrl)).find((c) => c.name === name)
  }

  /** Every live cookie in the jar. */
  all(): StoredCookie[] {
    this.expire()
    return [...this.jar]
  }

  setCookie(setCookie: string, fromUrl: string): void {
    this.store(setCookie, new URL(fromUrl))
  }

  clear(): void {
    this.jar = []
  }

  private async request(
    method: string,
    url: string,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<BrowserResponse> {
    const target = new URL(url)
    const cookie = this.cookies(url)
    const h: Record<string, string> = { 'user-agent': 'gatehouse-test-browser', ...headers }
    if (cookie && !Object.keys(h).some((k) => k.toLowerCase() === 'cookie')) h.cookie = cookie
    const res = await fetch(target, { method, headers: h, body, redirect: 'manual' })
    for (const sc of res.headers.getSetCookie()) this.store(sc, target)
    const text = await res.text()
    const loc = res.headers.get('location')
    return {
      status: res.status,
      headers: res.headers,
      body: text,
      url: target.href,
      location: loc ? new URL(loc, target).href : undefined,
    }
  }

  private cookiesFor(url: URL): StoredCookie[] {
    this.expire()
    const host = url.hostname.toLowerCase()
    const secureOk = url.protocol === 'https:' || LOOPBACK.has(host)
    return this.jar
      .filter((c) => host === c.domain || (!c.hostOnly && host.endsWith(`.${c.domain}`)))
      .filter((c) => pathMatches(c.path, url.pathname))
      .filter((c) => !c.secure || secureOk)
      .sort((a, b) => b.path.length - a.path.length)
  }

  private expire(): void {
    const now = Date.now()
    this.jar = this.jar.filter((c) => c.expires === undefined || c.expires > now)
  }

  private store(header: string, url: URL): void {
    const [pair, ...attrs] = header.split(';')
    const eq = pair.indexOf('=')
    if (eq < 1) return
    const name = pair.slice(0, eq).trim()
    const value = pair.slice(eq + 1).trim()
    const host = url.hostname.toLowerCase()
    const c: StoredCookie = {
      name,
      value,
      domain: host,
      hostOnly: true,
      path: defaultPath(url),
      secure: false,
      httpOnly: false,
    }
    let maxAge: number | undefined
    for (const a of attrs) {
      const i = a.indexOf('=')
      const k = (i === -1 ? a : a.slice(0, i)).trim().toLowerCase()
      const v = i === -1 ? '' : a.slice(i + 1).trim()
      if (k === 'domain' && v) {
        const d = v.replace(/^\./, '').toLowerCase()
        if (host !== d && !host.endsWith(`.${d}`)) return // a browser rejects foreign domains
        c.domain = d
        c.hostOnly = false
      } else if (k === 'path' && v.startsWith('/')) c.path = v
      else if (k === 'max-age' && /^-?\d+$/.test(v)) maxAge = Number(v)
      else if (k === 'expires') {
        const t = Date.parse(v)
        if (!Number.isNaN(t)) c.expires = t
      } else if (k === 'secure') c.secure = true
      else if (k === 'httponly') c.httpOnly = true
      else if (k === 'samesite') c.sameSite = v
    }
    if (maxAge !== undefined) c.expires = maxAge <= 0 ? 0 : Date.now() + maxAge * 1000
    const same = (o: StoredCookie) =>
      o.name === c.name && o.domain === c.domain && o.path === c.path
    this.jar = this.jar.filter((o) => !same(o))
    if (c.expires === undefined || c.expires > Date.now()) this.jar.push(c)
  }
}

function isHtml(res: BrowserResponse): boolean {
  return (res.headers.get('content-type') ?? '').includes('html')
}

/**
 * Open loginPageUrl (the realm's authorization URL or its login page), fill in the login form and
 * submit it, then follow redirects while they stay on the realm's origin. Returns the first
 * response that would leave that origin (the redirect toward the RP callback, not followed) or
 * that is not a redirect (e.g. the login page again with "Invalid username or password.").
 * With a live realm session there is no form: the redirect to the RP is returned at once.
 */
export async function loginAtRealm(
  client: CookieJarClient,
  loginPageUrl: string,
  username: string,
  password: string,
): Promise<BrowserResponse> {
  const idp = new URL(loginPageUrl).origin
  const leaves = (u: URL) => u.origin !== idp
  const page = await client.follow(loginPageUrl, { stopAt: leaves, autoSubmit: false })
  if (page.status !== 200) return page
  const forms = parseForms(page.body, page.url)
  const form = forms.find((f) => 'password' in f.fields) ?? forms.find((f) => f.method === 'post')
  if (!form) throw new Error(`no login form at ${page.url} (HTTP ${page.status})`)
  const res = await client.post(form.action, { ...form.fields, username, password })
  return client.continueFrom(res, { stopAt: leaves, autoSubmit: false })
}
