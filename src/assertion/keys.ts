/**
 * Signing keys for the identity assertion. Files hold PEM (PKCS#8 private or SPKI public) or a JWK;
 * the first key signs and must be private, every key is published (rotation with overlap: put the
 * new key first and keep the old one until the assertions it signed have expired). Without files,
 * one key is generated per process: it lives as long as the process (reloads keep it), so a
 * second replica or worker would publish a different key (load.ts refuses `server.workers` ≠ 1).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'

export type AssertionAlgorithm = 'ES256' | 'EdDSA'

export interface PublicJwk {
  kty: string
  crv: string
  x: string
  y?: string
  kid: string
  alg: AssertionAlgorithm
  use: 'sig'
}

export interface KeySet {
  signing: { key: KeyObject; kid: string; alg: AssertionAlgorithm }
  /** Public members only, in config order. */
  published: readonly PublicJwk[]
}

/** ES256 for EC P-256, EdDSA for Ed25519; anything else cannot sign an assertion. */
function algorithmOf(key: KeyObject): AssertionAlgorithm | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA'
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256'
  return undefined
}

/** RFC 7638 thumbprint: SHA-256 over the required public members in lexical order. */
function thumbprint(jwk: { kty: string; crv: string; x: string; y?: string }): string {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x }
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url')
}

/** The public JWK of a key (private or public), with only the public members copied out. */
function publicJwk(key: KeyObject, alg: AssertionAlgorithm, kid?: string): PublicJwk {
  const full = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'jwk' }) as { kty: string; crv: string; x: string; y?: string }
  const pub = { kty: full.kty, crv: full.crv, x: full.x, ...(full.y ? { y: full.y } : {}) }
  return Object.freeze({ ...pub, kid: kid ?? thumbprint(pub), alg, use: 'sig' as const })
}

function keySet(keys: { key: KeyObject; kid?: string }[]): KeySet {
  const published = keys.map(({ key, kid }) => publicJwk(key, algorithmOf(key)!, kid))
  const first = keys[0]!.key
  return Object.freeze({
    signing: Object.freeze({ key: first, kid: published[0]!.kid, alg: published[0]!.alg }),
    published: Object.freeze(published),
  })
}

/** Reads one key file: a JWK (JSON) or PEM. */
function parseKey(text: string): { key: KeyObject; kid?: string } {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    const jwk = JSON.parse(trimmed) as { d?: string; kid?: unknown }
    const key = jwk.d ? createPrivateKey({ key: jwk, format: 'jwk' }) : createPublicKey({ key: jwk, format: 'jwk' })
    return { key, kid: typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : undefined }
  }
  return { key: trimmed.includes('PRIVATE KEY') ? createPrivateKey(trimmed) : createPublicKey(trimmed) }
}

/** Loads `headers.assertion.keys`; every problem names its key path. */
export async function loadKeySet(files: readonly string[], baseDir: string): Promise<{ keys?: KeySet; problems: string[] }> {
  const problems: string[] = []
  const keys: { key: KeyObject; kid?: string }[] = []
  for (const [i, file] of files.entries()) {
    const at = `headers.assertion.keys[${i}]`
    let text: string
    try {
      text = await readFile(resolve(baseDir, file), 'utf8')
    } catch (err) {
      problems.push(`${at}: cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
      continue
    }
    let parsed: { key: KeyObject; kid?: string }
    try {
      parsed = parseKey(text)
    } catch {
      problems.push(`${at}: "${file}" is not a PEM or JWK key`)
      continue
    }
    if (!algorithmOf(parsed.key)) problems.push(`${at}: "${file}" must be an EC P-256 (ES256) or Ed25519 (EdDSA) key`)
    else if (i === 0 && parsed.key.type !== 'private') problems.push(`${at}: the first key signs, so "${file}" must be a private key`)
    else keys.push(parsed)
  }
  const kids = keys.map((k) => publicJwk(k.key, algorithmOf(k.key)!, k.kid).kid)
  if (new Set(kids).size !== kids.length) problems.push('headers.assertion.keys: two keys have the same kid')
  return problems.length > 0 || keys.length === 0 ? { problems } : { keys: keySet(keys), problems }
}

let ephemeral: KeySet | undefined

/** One ES256 key per process, made on first use. */
export function ephemeralKeySet(): KeySet {
  ephemeral ??= keySet([{ key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }])
  return ephemeral
}
