// Development identity provider: a Keycloak-shaped realm with the demo users.
//   PORT=8180 CLIENT_ID=gatehouse CLIENT_SECRET=... REDIRECT_URI=http://127.0.0.1:4180/oauth2/callback \
//   node --import tsx dev/devidp/main.ts
// Optional: HOST, REALM, POST_LOGOUT_REDIRECT_URI, BACKCHANNEL_LOGOUT_URI, BANNER (comma lists ok).
import { DEMO_USERS, startRealm } from './realm.js'

const env = process.env
const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [])

const redirectUris = list(env.REDIRECT_URI ?? 'http://127.0.0.1:4180/oauth2/callback')
const realm = await startRealm({
  host: env.HOST,
  port: Number(env.PORT ?? 8180),
  realm: env.REALM,
  users: DEMO_USERS,
  clients: [
    {
      clientId: env.CLIENT_ID ?? 'gatehouse',
      clientSecret: env.CLIENT_SECRET ?? 'gatehouse-dev-secret',
      redirectUris,
      postLogoutRedirectUris: env.POST_LOGOUT_REDIRECT_URI
        ? list(env.POST_LOGOUT_REDIRECT_URI)
        : undefined,
      backchannelLogoutUri: env.BACKCHANNEL_LOGOUT_URI,
    },
  ],
  banner: env.BANNER ?? 'Development identity provider: not for production use',
})

console.log(realm.issuer)
console.error(`devidp: users ${DEMO_USERS.map((u) => u.username).join(', ')} (password = username)`)

const stop = () => {
  realm.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
