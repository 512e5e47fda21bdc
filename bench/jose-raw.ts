/**
 * jose's raw RS256 verify rate in-process, the reference for Gatehouse's cold-bearer case:
 * distinct tokens, a local key (no JWKS fetch), 1 and 64 verifications in flight, plus
 * node:crypto's synchronous verify for comparison, and Gatehouse's own path (src/tokens/jws.ts:
 * jose's key set and claims, node:crypto signature) for RS256 and ES256. Prints one JSON line.
 */
import { createPublicKey, createVerify, randomUUID } from 'node:crypto'
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose'
import { verifyJwtSignature } from '../src/tokens/jws.js'

const quick = process.argv.includes('--quick')
const seconds = quick ? 0.75 : 4
const N = 2000

const now = Math.floor(Date.now() / 1000)
async function keyed(alg: 'RS256' | 'ES256') {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg, use: 'sig' }
  const tokens = await Promise.all(
    Array.from({ length: N }, () =>
      new SignJWT({ iss: 'https://idp.example/realms/x', aud: 'gatehouse', sub: randomUUID(), exp: now + 3600, iat: now, email: 'alice@example.com', jti: randomUUID() })
        .setProtectedHeader({ alg, kid: 'k1', typ: 'JWT' })
        .sign(privateKey),
    ),
  )
  return { publicKey, jwk, jwks: createLocalJWKSet({ keys: [jwk] }), tokens }
}
const rs = await keyed('RS256')
const { publicKey, jwk, jwks, tokens } = rs
const opts = { issuer: 'https://idp.example/realms/x', audience: 'gatehouse' }

async function rate(inFlight: number, verify: (t: string) => Promise<unknown>, list = tokens): Promise<number> {
  let i = 0
  let done = 0
  const end = performance.now() + seconds * 1000
  const lane = async () => {
    while (performance.now() < end) {
      await verify(list[i++ % N]!)
      done++
    }
  }
  const t0 = performance.now()
  await Promise.all(Array.from({ length: inFlight }, lane))
  return done / ((performance.now() - t0) / 1000)
}

const byKey = (t: string) => jwtVerify(t, publicKey, opts)
const byJwks = (t: string) => jwtVerify(t, jwks, opts)
await rate(8, byKey) // warm-up
const out: Record<string, number | string> = {}
out['jose jwtVerify, 1 in flight'] = await rate(1, byKey)
out['jose jwtVerify, 64 in flight'] = await rate(64, byKey)
out['jose jwtVerify + local JWKS, 64 in flight'] = await rate(64, byJwks)

const pem = createPublicKey({ key: jwk as never, format: 'jwk' })
let k = 0
const t0 = performance.now()
const end = t0 + seconds * 1000
while (performance.now() < end) {
  const t = tokens[k++ % N]!
  const dot = t.lastIndexOf('.')
  const v = createVerify('RSA-SHA256')
  v.update(t.slice(0, dot))
  if (!v.verify(pem, Buffer.from(t.slice(dot + 1), 'base64url'))) throw new Error('bad signature')
}
out['node:crypto verify (sync, signature only)'] = k / ((performance.now() - t0) / 1000)

const es = await keyed('ES256')
for (const [alg, set] of [['RS256', rs], ['ES256', es]] as const) {
  const gatehouse = (t: string) => verifyJwtSignature(t, set.jwks, { ...opts, algorithms: [alg], requiredClaims: ['exp', 'sub'] })
  await rate(8, gatehouse, set.tokens)
  out[`Gatehouse jws.ts (node:crypto) + local JWKS, ${alg}, 1 in flight`] = await rate(1, gatehouse, set.tokens)
  out[`Gatehouse jws.ts (node:crypto) + local JWKS, ${alg}, 64 in flight`] = await rate(64, gatehouse, set.tokens)
  if (alg === 'ES256') out['jose jwtVerify + local JWKS, ES256, 64 in flight'] = await rate(64, (t) => jwtVerify(t, set.jwks, opts), set.tokens)
}
out.note = `${seconds} s per row.`
process.stdout.write(JSON.stringify(out) + '\n')
