/** Turns GitHub API answers into an identity and applies the provider's own restrictions. */
import { ForbiddenError, normaliseEmail, type Identity } from '../../src/plugin.js'
import type { GitHubApi, GitHubEmail } from './api.js'
import type { GitHubOptions } from './options.js'

export type Restrictions = Pick<GitHubOptions, 'users' | 'orgs' | 'teams'>

/** The primary address, only when GitHub says it is verified; secondary addresses never count. */
export function primaryVerifiedEmail(emails: readonly GitHubEmail[]): string | undefined {
  const primary = emails.find((e) => e.primary)
  return primary?.verified ? normaliseEmail(primary.email) : undefined
}

/** Groups as `org` and `org:team-slug`, names without commas. */
export function githubGroups(orgs: readonly string[], teams: readonly { org: string; slug: string }[]): string[] {
  const groups = [...orgs, ...teams.map((t) => `${t.org}:${t.slug}`)]
  return [...new Set(groups.filter((g) => g && !g.includes(',')))]
}

/**
 * With any restriction configured, the user must be listed in `users`, or be an active member
 * of one of `orgs`, or of one of `teams`. GitHub names compare case-insensitively.
 */
export function isAllowed(r: Restrictions, login: string, orgs: readonly string[], teams: readonly { org: string; slug: string }[]): boolean {
  if (!r.users.length && !r.orgs.length && !r.teams.length) return true
  const lc = (s: string) => s.toLowerCase()
  if (r.users.some((u) => lc(u) === lc(login))) return true
  const myOrgs = new Set(orgs.map(lc))
  if (r.orgs.some((o) => myOrgs.has(lc(o)))) return true
  const myTeams = new Set(teams.map((t) => lc(`${t.org}/${t.slug}`)))
  return r.teams.some((t) => myTeams.has(lc(t)))
}

/** Calls /user, /user/emails, /user/orgs and /user/teams, then enforces the restrictions. */
export async function resolveIdentity(
  api: GitHubApi,
  token: string,
  providerId: string,
  options: GitHubOptions,
  expiresAt: number,
): Promise<Identity> {
  const [user, emails, orgList, teamList] = await Promise.all([
    api.user(token),
    api.emails(token),
    api.orgs(token),
    api.teams(token),
  ])
  const orgs = orgList.map((o) => o.login)
  const teams = teamList.map((t) => ({ org: t.organization.login, slug: t.slug }))
  if (!isAllowed(options, user.login, orgs, teams)) {
    throw new ForbiddenError(`GitHub user ${user.login} is not in the allowed users, orgs or teams of ${providerId}`)
  }
  return {
    subject: String(user.id),
    user: user.login,
    email: primaryVerifiedEmail(emails),
    preferredUsername: user.login,
    groups: githubGroups(orgs, teams),
    roles: [],
    provider: providerId,
    expiresAt,
  }
}
