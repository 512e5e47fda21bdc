import { z } from 'zod'

const httpUrl = z.string().refine((v) => {
  try {
    return /^https?:$/.test(new URL(v).protocol)
  } catch {
    return false
  }
}, 'must be an absolute http(s) URL')

const names = z.array(z.string().min(1)).default([])

/** Options of `type: github` (github.com or GitHub Enterprise Server). */
export const githubOptionsSchema = z
  .object({
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    /** Web origin of the login endpoints; GHES: `https://HOST`. */
    baseUrl: httpUrl.default('https://github.com'),
    /** REST base; GHES: `https://HOST/api/v3`. Defaults to api.github.com, or `<baseUrl>/api/v3` for GHES. */
    apiUrl: httpUrl.optional(),
    /** `read:org` lets Gatehouse see private org and team membership. */
    scopes: z.array(z.string().min(1)).default(['read:user', 'user:email', 'read:org']),
    /** Logins allowed whatever their orgs (case-insensitive). */
    users: names,
    /** Orgs whose every active member may log in. */
    orgs: names,
    /** `org/team-slug` entries whose members may log in. */
    teams: names.refine((v) => v.every((t) => /^[^/\s]+\/[^/\s]+$/.test(t)), 'entries must look like "org/team-slug"'),
    /** How long answers from the GitHub API are reused, per token. */
    cacheTtlSeconds: z.number().int().min(0).max(3600).default(300),
    timeoutSeconds: z.number().positive().max(60).default(5),
    /** Allow plain-http URLs. For local tests and the demo only. */
    allowInsecureRequests: z.boolean().default(false),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.allowInsecureRequests) return
    for (const key of ['baseUrl', 'apiUrl'] as const) {
      if (o[key]?.startsWith('http:')) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'must be https (set allowInsecureRequests only for local tests)' })
      }
    }
  })
  .transform((o) => {
    const base = o.baseUrl.replace(/\/+$/, '')
    const defaultApi = base === 'https://github.com' ? 'https://api.github.com' : `${base}/api/v3`
    return { ...o, baseUrl: base, apiUrl: (o.apiUrl ?? defaultApi).replace(/\/+$/, '') }
  })

export type GitHubOptions = z.output<typeof githubOptionsSchema>
