import { defineProvider } from '../../src/plugin.js'
import { parseWith } from '../shared/options.js'
import { githubOptionsSchema, type GitHubOptions } from './options.js'
import { createGitHubProvider } from './provider.js'

/** github.com or GitHub Enterprise Server, through an OAuth App or a GitHub App's user tokens. */
export default defineProvider<GitHubOptions>({
  type: 'github',
  kind: 'oauth2',
  displayName: 'GitHub',
  parseOptions: (raw) => parseWith(githubOptionsSchema, raw),
  create: (id, options, ctx) => createGitHubProvider(id, options, ctx, 'GitHub'),
})
