import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { z } from 'zod'
import { oidcOptionsShape, requireHttpsIssuer } from '../oidc/options.js'

/** The fields of a service-account key file Gatehouse uses. */
const serviceAccountKey = z.object({
  client_email: z.string().email(),
  private_key: z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' }),
  token_uri: z.string().url().optional(),
})
export type ServiceAccountKey = z.infer<typeof serviceAccountKey>

/** A key file path (relative to the working directory) or the key JSON itself. */
const serviceAccount = z.union([z.string().min(1), z.record(z.string(), z.unknown())]).transform((value, ctx) => {
  let raw: unknown = value
  if (typeof value === 'string') {
    try {
      raw = JSON.parse(value.trim().startsWith('{') ? value : readFileSync(resolve(value), 'utf8'))
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `cannot read the key (${(err as NodeJS.ErrnoException).code ?? 'invalid JSON'})` })
      return z.NEVER
    }
  }
  const parsed = serviceAccountKey.safeParse(raw)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message })
    return z.NEVER
  }
  return parsed.data
})

const { requireEmailVerified: _alwaysRequired, ...shape } = oidcOptionsShape

export const googleOptionsSchema = z
  .object({
    ...shape,
    /** Overridable only so tests can point at a double; Google's real issuer is the default. */
    issuer: shape.issuer.default('https://accounts.google.com'),
    userClaim: z.string().default('email'),
    /** Google Workspace domains allowed to log in (the ID token's `hd` claim); consumer accounts have none. */
    hostedDomains: z.array(z.string().min(1)).default([]),
    /** Ask for a refresh token: `access_type=offline` and `prompt=consent`. */
    refresh: z.boolean().default(false),
    /** Groups checked with the Admin SDK Directory API (`members.hasMember`); members' groups go to identity.groups. */
    groups: z.array(z.string().email('must be a group email address')).default([]),
    /** With `groups`, refuse users who are in none of them. */
    requireGroup: z.boolean().default(true),
    /** Service-account key with domain-wide delegation: a JSON file path or the key itself. */
    serviceAccount: serviceAccount.optional(),
    /** A Workspace admin the service account impersonates. */
    adminEmail: z.string().email().optional(),
    directoryBaseUrl: z.string().url().default('https://admin.googleapis.com'),
    /** Token endpoint for the JWT-bearer grant; default: the key's `token_uri`. */
    directoryTokenUrl: z.string().url().optional(),
    groupsCacheTtlSeconds: z.number().int().min(0).max(86_400).default(300),
  })
  .strict()
  .superRefine((o, ctx) => {
    requireHttpsIssuer(o, ctx)
    if (!o.groups.length) return
    if (!o.serviceAccount) ctx.addIssue({ code: 'custom', path: ['serviceAccount'], message: 'is required when groups are set' })
    if (!o.adminEmail) ctx.addIssue({ code: 'custom', path: ['adminEmail'], message: 'is required when groups are set' })
  })

export type GoogleOptions = z.output<typeof googleOptionsSchema>
