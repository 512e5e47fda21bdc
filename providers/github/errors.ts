import { GatehouseError } from '../../src/plugin.js'

/** GitHub answered 401 `Bad credentials`: the token is revoked, expired or never existed. */
export class GitHubTokenRejectedError extends GatehouseError {
  override readonly code = 'INVALID_TOKEN'
  override readonly status = 401
  override readonly publicMessage = 'The access token is not valid.'
}
