/**
 * Returned by `verifyBearer` when a token is not this provider's to judge. Part of the plugin contract
 * (re-exported by plugin.ts); its own module so core code that plugin.ts re-exports can use it
 * without importing plugin.ts back.
 */
export const NotResponsible: unique symbol = Symbol('NotResponsible')
