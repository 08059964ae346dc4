// A typed example: compiled with `tsc --noEmit -p test/tsconfig.json` to check index.d.ts against real usage.
import { AuthCore, AuthError, type DatabaseOptions, type RecipeFunctions, type APIFunctions, type User } from '..'

class MyError extends Error {}

// PostgreSQL instead of SQLite: the URL and, optionally, the schema the tables live in.
export const onPostgres: DatabaseOptions = { postgres: 'postgres://app@db.internal:5432/app', schema: 'authcore' }

async function main(): Promise<void> {
  const auth = await AuthCore.open({
    database: { sqlite: 'auth.db' },
    providers: [{ thirdPartyId: 'google' }],
    accountLinking: {
      shouldDoAutomaticAccountLinking: async (newAccountInfo, user, _session, tenantId, userContext) => {
        if (userContext.skipLinking === true || newAccountInfo.email === undefined) {
          return { shouldAutomaticallyLink: false }
        }
        return { shouldAutomaticallyLink: user !== undefined || tenantId === 'public', shouldRequireVerification: true }
      },
    },
    events: {
      signIn: async (event) => {
        console.log(event.name, event.userId, event.isNewUser)
      },
      '*': (event) => void event.id,
    },
    override: {
      functions: (original: RecipeFunctions): RecipeFunctions => ({
        ...original,
        createPrimaryUser: async (input) => {
          if (input.userContext?.deny === true) throw new MyError('no')
          return original.createPrimaryUser(input)
        },
      }),
      apis: (original: APIFunctions): APIFunctions => ({
        ...original,
        signInUpPOST: async (input) => {
          const response = await original.signInUpPOST(input)
          if (response.status === 'OK' && response.createdNewRecipeUser && response.user.loginMethods.length === 1) {
            console.log('account-level sign-up', response.user.id, response.session.sessionHandle)
          }
          return response
        },
      }),
    },
  })

  const r = await auth.signInUp({
    tenantId: 'public',
    thirdPartyId: 'google',
    thirdPartyUserId: 'g1',
    email: { id: 'a@example.com', isVerified: true },
    userContext: { requestId: 1 },
  })
  if (r.status === 'OK') {
    const primary = await auth.createPrimaryUser({ recipeUserId: r.recipeUserId })
    if (primary.status === 'OK' && primary.user) console.log(primary.user.isPrimaryUser)
    const user: User | null = await auth.getUser({ userId: r.user.id })
    const users: User[] = await auth.listUsersByAccountInfo({
      tenantId: 'public',
      accountInfo: { email: 'a@example.com' },
      doUnionOfAccountInfo: true,
    })
    console.log(user?.emails, users.length)
    const link = await auth.linkAccounts({ recipeUserId: r.recipeUserId, primaryUserId: r.user.id })
    if (link.status === 'RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR') console.log(link.primaryUserId)
  } else {
    const reason: string = r.reason
    console.log(reason)
  }

  const post = await auth.signInUpPOST({ thirdPartyId: 'google', userInfo: { thirdPartyUserId: 'g2' } })
  if (post.status === 'SIGN_IN_UP_NOT_ALLOWED') console.log(post.reason)
  const session = await auth.createNewSession({ tenantId: 'public', recipeUserId: 'x', accessTokenPayload: { role: 'admin' } })
  const check = await auth.getSession({ accessToken: session.accessToken })
  if (check.status === 'OK') console.log(check.session.userId)
  const revoked: boolean = await auth.revokeSession({ sessionHandle: session.session.sessionHandle })
  const tenants = await auth.listAllTenants()
  await auth.createOrUpdateTenant({ tenantId: 't1', config: { firstFactors: ['thirdparty'], providers: [{ thirdPartyId: 'google' }] } })
  const verified: boolean = await auth.isEmailVerified({ recipeUserId: 'x' })
  const page = await auth.getUsers({ limit: 10, timeJoinedOrder: 'DESC' })
  const log = await auth.listEvents({ limit: 5 })
  // Methods derived from the core's declaration (declared.d.ts) are typed like the others.
  const count: number = await auth.getUserCount({ tenantId: 't1', includeAllTenants: false })
  const report = await auth.deliverPendingEvents()
  console.log(revoked, tenants.length, verified, page.nextPaginationToken, log.events[0]?.attempts, count, report.delivered)

  try {
    await auth.getUser({ userId: '' })
  } catch (e) {
    if (e instanceof AuthError && e.code === 'EMPTY_FIELD') console.log(e.details.field)
    else if (e instanceof MyError) console.log('mine')
  }
  await auth.shutdown()
}

void main
