/**
 * A minimal ES256 token issuer for the first-seen ES256 bearer case (the dev realm signs RS256
 * only): an OpenID discovery document and a JWKS on loopback, which both Gatehouse (`extraIssuers`)
 * and oauth2-proxy (`--extra-jwt-issuers`) read, and a signer for the token pool.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'

export interface Es256Issuer {
  issuer: string
  jwksUrl: string
  audience: string
  sign(claims: Record<string, unknown>): Promise<string>
  close(): Promise<void>
}

export async function startEs256Issuer(): Promise<Es256Issuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256')
  const kid = randomUUID()
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] })
  let discovery = ''
  const server = createServer((req, res) => {
    const body = req.url === '/.well-known/openid-configuration' ? discovery : req.url === '/jwks' ? jwks : undefined
    if (body === undefined) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'application/json' }).end(body)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const jwksUrl = `${issuer}/jwks`
  discovery = JSON.stringify({
    issuer,
    jwks_uri: jwksUrl,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
  })
  const audience = 'bench-es256'
  return {
    issuer,
    jwksUrl,
    audience,
    sign: (claims) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).setIssuer(issuer).setAudience(audience).setIssuedAt().setExpirationTime('1h').sign(privateKey),
    close: () => new Promise((r) => server.close(() => r())),
  }
}
