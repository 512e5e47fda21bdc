/**
 * Gatehouse's error hierarchy. Every error has a stable `code`, an HTTP `status` and an `expose`
 * flag: clients see `publicMessage` plus a request id, logs see `message` and `cause`.
 */
export class GatehouseError extends Error {
  readonly code: string = 'GATEHOUSE_ERROR'
  readonly status: number = 500
  /** Safe to show to the client. */
  readonly publicMessage: string = 'Something went wrong.'

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
  }
}

/** Configuration is invalid; `problems` lists every issue with its key path. */
export class ConfigError extends GatehouseError {
  override readonly code = 'CONFIG_INVALID'
  readonly problems: string[]
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.problems = problems
  }
}

/** The login flow cannot continue: bad state, missing code, replayed code, IdP `error=`. */
export class LoginError extends GatehouseError {
  override readonly code: string = 'LOGIN_FAILED'
  override readonly status: number = 400
  override readonly publicMessage: string = 'The sign-in could not be completed. Please start again.'
}

/** The IdP refused the user (`error=access_denied`). */
export class AccessDeniedError extends LoginError {
  override readonly code = 'LOGIN_DENIED'
  override readonly status: number = 403
  override readonly publicMessage = 'The identity provider did not let you sign in.'
}

/** Logged in, but not allowed by the authorization settings. */
export class ForbiddenError extends GatehouseError {
  override readonly code = 'FORBIDDEN'
  override readonly status = 403
  override readonly publicMessage = 'You are signed in but not allowed to access this resource.'
}

/** The IdP could not be reached or answered garbage. */
export class UpstreamIdpError extends GatehouseError {
  override readonly code: string = 'IDP_UNAVAILABLE'
  override readonly status = 502
  override readonly publicMessage: string =
    'The identity provider could not be reached. Please try again shortly.'
}

/** The IdP rate-limited us (GitHub). */
export class IdpRateLimitedError extends UpstreamIdpError {
  override readonly code = 'IDP_RATE_LIMITED'
  override readonly publicMessage =
    'The identity provider is rate-limiting sign-ins. Please try again in a few minutes.'
}

export class NotFoundError extends GatehouseError {
  override readonly code = 'NOT_FOUND'
  override readonly status = 404
  override readonly publicMessage = 'There is no page at this address.'
}

export class BadRequestError extends GatehouseError {
  override readonly code = 'BAD_REQUEST'
  override readonly status = 400
  override readonly publicMessage: string
  constructor(publicMessage: string, options?: { cause?: unknown }) {
    super(publicMessage, options)
    this.publicMessage = publicMessage
  }
}

/** The IdP refused to renew a session (refresh token revoked or expired, user disabled, not a member any more). */
export class SessionEndedError extends GatehouseError {
  override readonly code = 'SESSION_ENDED'
  override readonly status = 401
  override readonly publicMessage = 'Your session has ended. Please sign in again.'
}

/** The session store (Redis) could not be reached. */
export class SessionStoreError extends GatehouseError {
  override readonly code = 'SESSION_STORE_UNAVAILABLE'
  override readonly status = 503
  override readonly publicMessage = 'Sign-in is temporarily unavailable. Please try again shortly.'
}
