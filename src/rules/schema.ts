/**
 * The `rules:` and `defaultRule:` config keys. Shapes only; host, path and regex syntax is
 * checked (with key paths) by definitions.ts, which also normalises every entry.
 */
import { z } from 'zod'

const names = z.array(z.string().min(1)).min(1, 'must list at least one entry')

const clauseShape = {
  /** Any one of these groups (identity.groups, exact, case-sensitive). */
  groups: names.optional(),
  /** Any one of these roles (Keycloak realm role or `client:role`). */
  roles: names.optional(),
  /** Any one of these verified email addresses (case-insensitive). */
  emails: names.optional(),
  /** Any verified email in one of these domains (exact domain part); `*` = any verified email. */
  emailDomains: names.optional(),
  /** The identity came from one of these provider ids. */
  providers: names.optional(),
  /** Member of any one of these GitHub organisations (identities from `type: github` providers only). */
  githubOrgs: names.optional(),
  /** Member of any one of these GitHub teams, written `org:team-slug` (`type: github` only). */
  githubTeams: names.optional(),
}

/** One clause: every list present must be satisfied (AND); any entry within a list will do (OR). */
export const clauseSchema = z.object(clauseShape).strict()

/** A clause, or `any:` / `all:` over several clauses. */
export const requirementSchema = z
  .object({
    ...clauseShape,
    /** At least one of these clauses must hold. */
    any: z.array(clauseSchema).min(1, 'must list at least one clause').optional(),
    /** Every one of these clauses must hold. */
    all: z.array(clauseSchema).min(1, 'must list at least one clause').optional(),
  })
  .strict()

const actionShape = {
  /** `public`: no login, empty identity headers. `authenticated`: any signed-in user. */
  allow: z.enum(['public', 'authenticated']).optional(),
  /** 403 for everyone, signed in or not. */
  deny: z.literal(true).optional(),
  /** Signed-in users who satisfy the requirement; others get 403, anonymous users log in. */
  require: requirementSchema.optional(),
}

export const ruleSchema = z
  .object({
    /** Shown by `gatehouse explain` and in logs. */
    name: z.string().min(1).optional(),
    /** `grafana.example.com`, `*.example.com` (subdomains only), optional `:port`. */
    hosts: names.optional(),
    /** Segment-aware prefixes (`/api`) or anchored regexes (`^/api/v[0-9]+/health$`). */
    paths: names.optional(),
    /** Original request methods (`X-Forwarded-Method` / `X-Original-Method`). */
    methods: names.optional(),
    ...actionShape,
  })
  .strict()

/** What applies when no rule matches. Default: any signed-in user (Gatehouse without rules). */
export const defaultRuleSchema = z.object(actionShape).strict().default({ allow: 'authenticated' })

export const rulesSchema = z.array(ruleSchema).default([])

export type RawRule = z.infer<typeof ruleSchema>
export type RawClause = z.infer<typeof clauseSchema>
export type RawRequirement = z.infer<typeof requirementSchema>
export type RawAction = z.infer<typeof defaultRuleSchema>
