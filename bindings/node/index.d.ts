// Types of the `authcore` npm package (hand-written over the generated `native.d.ts`).
// Shapes are the core's JSON (camelCase); every method takes one object argument and returns a Promise.

import type { DeclaredOperations } from './declared'
export * from './declared'

/** A map that travels through every call of one request; overrides receive the caller's very object. */
export type UserContext = Record<string, any>

export interface WithUserContext {
  userContext?: UserContext
}

// ---- Model ------------------------------------------------------------------------------------------------

export interface ThirdPartyInfo {
  id: string
  userId: string
}

export type RecipeId = 'thirdparty'

/** One way to sign in: a recipe user. */
export interface LoginMethod {
  tenantIds: string[]
  recipeUserId: string
  verified: boolean
  timeJoined: number
  recipeId: RecipeId
  email?: string
  phoneNumber?: string
  thirdParty?: ThirdPartyInfo
}

/** A user (CDI >= 4.0 shape): a standalone recipe user or a primary user with its linked login methods. */
export interface User {
  id: string
  isPrimaryUser: boolean
  tenantIds: string[]
  timeJoined: number
  emails: string[]
  phoneNumbers: string[]
  thirdParty: ThirdPartyInfo[]
  loginMethods: LoginMethod[]
}

export interface AccountInfo {
  email?: string
  phoneNumber?: string
  thirdParty?: ThirdPartyInfo
}

/** The account being signed in or up, as `shouldDoAutomaticAccountLinking` sees it. */
export interface NewAccountInfo extends AccountInfo {
  recipeId: RecipeId
  recipeUserId?: string
}

export interface EmailInput {
  id: string
  isVerified: boolean
}

export interface Session {
  sessionHandle: string
  userId: string
  recipeUserId: string
  tenantId: string
  accessTokenPayload: any
  timeCreated: number
  expiry: number
}

export interface TenantProvider {
  thirdPartyId: string
}

export interface Tenant {
  tenantId: string
  thirdPartyEnabled: boolean
  firstFactors?: string[]
  providers: TenantProvider[]
}

export interface TenantConfigInput {
  thirdPartyEnabled?: boolean
  /** `null` resets to "every factor". */
  firstFactors?: string[] | null
  providers?: TenantProvider[]
}

export interface ProviderConfig {
  thirdPartyId: string
  includeInNonPublicTenantsByDefault?: boolean
}

// ---- Linking policy -----------------------------------------------------------------------------------------

export interface ShouldAutomaticallyLink {
  shouldAutomaticallyLink: boolean
  /** Default true; ignored when `shouldAutomaticallyLink` is false. */
  shouldRequireVerification?: boolean
}

export interface LinkingRule {
  shouldAutomaticallyLink?: boolean
  shouldRequireVerification?: boolean
}

/** The built-in policy: a default, then per-tenant rules, then per-provider rules (provider wins). */
export interface StaticAccountLinking {
  shouldAutomaticallyLink?: boolean
  shouldRequireVerification?: boolean
  tenants?: Record<string, LinkingRule>
  providers?: Record<string, LinkingRule>
}

/** supertokens-node's callback form. */
export interface CallbackAccountLinking {
  shouldDoAutomaticAccountLinking: (
    newAccountInfo: NewAccountInfo,
    user: User | undefined,
    session: Session | undefined,
    tenantId: string,
    userContext: UserContext,
  ) => ShouldAutomaticallyLink | Promise<ShouldAutomaticallyLink>
}

export type LinkingOutcome = 'ALREADY_PRIMARY' | 'BECAME_PRIMARY' | 'LINKED' | 'NOT_LINKED'
export type LinkingReason =
  | 'ALREADY_PRIMARY'
  | 'VERIFIED_EMAIL_MATCH'
  | 'VERIFICATION_NOT_REQUIRED'
  | 'NO_PRIMARY_USER_WITH_SAME_ACCOUNT_INFO'
  | 'AUTOMATIC_LINKING_DISABLED'
  | 'EMAIL_NOT_VERIFIED'
  | 'PRIMARY_EMAIL_NOT_VERIFIED'
  | 'ACCOUNT_INFO_CONFLICT'

export interface LinkingExplanation {
  outcome: LinkingOutcome
  reason: LinkingReason
  primaryUserId?: string
}

// ---- Inputs and results -------------------------------------------------------------------------------------

export interface SignInUpInput extends WithUserContext {
  /** Default "public". */
  tenantId?: string
  thirdPartyId: string
  thirdPartyUserId: string
  email: EmailInput
}

export type SignInUpResult =
  | { status: 'OK'; createdNewUser: boolean; user: User; recipeUserId: string }
  | { status: 'EMAIL_CHANGE_NOT_ALLOWED_ERROR'; reason: string }

export type ManuallyCreateOrUpdateUserResult =
  | { status: 'OK'; createdNewRecipeUser: boolean; user: User; recipeUserId: string; linking: LinkingExplanation }
  | { status: 'EMAIL_CHANGE_NOT_ALLOWED_ERROR'; reason: string }
  | { status: 'SIGN_IN_UP_NOT_ALLOWED'; reason: string }

export interface SignInUpPOSTInput extends WithUserContext {
  /** Default "public". */
  tenantId?: string
  thirdPartyId: string
  userInfo: { thirdPartyUserId: string; email?: EmailInput }
  /** When false and the provider gave no email, a stable fake email is used. Default true. */
  requireEmail?: boolean
  /** Where the user wanted to go; validated before use (no open redirects). */
  redirectToPath?: string
  /** The caller's current access token, if any; used only for session linking, never to skip a sign-in. */
  existingAccessToken?: string
  /** `true`: link the signed-in account to the session's user (a valid session of this tenant is required,
   * else `UNAUTHORISED`). Absent or `false`: an ordinary sign-in that ignores any session. */
  shouldTryLinkingWithSessionUser?: boolean
}

export type RedirectAction = 'SUCCESS'

/** What `getRedirectionURL` is asked about. */
export interface RedirectContext {
  action: RedirectAction
  isNewUser: boolean
  redirectToPath?: string
  tenantId: string
  userId: string
}

export interface GetRedirectionURLInput extends RedirectContext, WithUserContext {}

/** The validated redirect decision. */
export interface RedirectDecision {
  action: RedirectAction
  url: string
  isNewUser: boolean
  redirectToPath?: string
  /** True when the requested or overridden target was refused and the default path used instead. */
  fellBack: boolean
}

export interface RedirectConfig {
  /** Origins (`https://app.example.com`) absolute redirect URLs may point to. */
  allowedOrigins?: string[]
  /** Default "/". */
  defaultPath?: string
}

export type SignInUpPOSTResult =
  | {
      status: 'OK'
      createdNewRecipeUser: boolean
      user: User
      session: Session
      accessToken: string
      redirect: RedirectDecision
    }
  | { status: 'SIGN_IN_UP_NOT_ALLOWED'; reason: string }
  | { status: 'NO_EMAIL_GIVEN_BY_PROVIDER' }

export interface ShouldDoAutomaticAccountLinkingInput extends WithUserContext {
  newAccountInfo: NewAccountInfo
  user?: User
  session?: Session
  tenantId: string
}

export interface OnAccountLinkedInput extends WithUserContext {
  user: User
  newAccountInfo: LoginMethod
}

export interface RecipeUserIdInput extends WithUserContext {
  recipeUserId: string
}

export interface LinkAccountsInput extends WithUserContext {
  recipeUserId: string
  primaryUserId: string
}

export type CreatePrimaryUserResult =
  | { status: 'OK'; wasAlreadyAPrimaryUser: boolean; user?: User }
  | { status: 'RECIPE_USER_ID_ALREADY_LINKED_WITH_PRIMARY_USER_ID_ERROR'; primaryUserId: string; description: string }
  | { status: 'ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR'; primaryUserId: string; description: string }

export type LinkAccountsResult =
  | { status: 'OK'; accountsAlreadyLinked: boolean; user?: User }
  | {
      status: 'RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR'
      primaryUserId: string
      description: string
      user?: User
    }
  | { status: 'ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR'; primaryUserId: string; description: string }
  | { status: 'INPUT_USER_IS_NOT_A_PRIMARY_USER' }

export type UnlinkAccountResult = { status: 'OK'; wasRecipeUserDeleted: boolean; wasLinked: boolean }

export interface DeleteUserInput extends WithUserContext {
  userId: string
  /** Default true. */
  removeAllLinkedAccounts?: boolean
}

export interface UserIdInput extends WithUserContext {
  userId: string
}

export interface ListUsersByAccountInfoInput extends WithUserContext {
  tenantId: string
  accountInfo: AccountInfo
  /** Default false. */
  doUnionOfAccountInfo?: boolean
}

export interface GetUsersInput extends WithUserContext {
  tenantId?: string
  /** Default 100, at most 500. */
  limit?: number
  paginationToken?: string
  timeJoinedOrder?: 'ASC' | 'DESC'
}

export interface GetUsersResult {
  users: User[]
  nextPaginationToken?: string
}

export interface EmailVerificationInput extends WithUserContext {
  recipeUserId: string
  /** Default: the login method's email. */
  email?: string
}

export interface VerifyEmailInput extends EmailVerificationInput {
  /** Run automatic linking afterwards (default true). */
  attemptAccountLinking?: boolean
}

export type VerifyEmailResult = { status: 'OK'; user?: User | null }

export interface TenantIdInput extends WithUserContext {
  tenantId: string
}

export interface CreateOrUpdateTenantInput extends WithUserContext {
  tenantId: string
  config?: TenantConfigInput
}

export type CreateOrUpdateTenantResult = { status: 'OK'; createdNew: boolean }
export type DeleteTenantResult = { status: 'OK'; didExist: boolean }

export interface TenantUserInput extends WithUserContext {
  tenantId: string
  recipeUserId: string
}

export type AssociateUserToTenantResult =
  | { status: 'OK'; wasAlreadyAssociated: boolean }
  | { status: 'UNKNOWN_USER_ID_ERROR' }
  | { status: 'THIRD_PARTY_USER_ALREADY_EXISTS_ERROR' }
  | { status: 'ASSOCIATION_NOT_ALLOWED_ERROR'; reason: string }

export type DisassociateUserFromTenantResult =
  | { status: 'OK'; wasAssociated: boolean }
  | { status: 'UNKNOWN_USER_ID_ERROR' }

export interface CreateNewSessionInput extends WithUserContext {
  tenantId: string
  recipeUserId: string
  /** Default {}. */
  accessTokenPayload?: any
}

export type CreateNewSessionResult = { status: 'OK'; session: Session; accessToken: string }

export interface GetSessionInput extends WithUserContext {
  accessToken: string
  /** The tenant the session must belong to. Default "public". */
  tenantId?: string
  /** Accept a session of any tenant (asked for explicitly). Default false. */
  anyTenant?: boolean
}

export type GetSessionResult = { status: 'OK'; session: Session } | { status: 'UNAUTHORISED' }

export interface SessionHandleInput extends WithUserContext {
  sessionHandle: string
}

export interface RevokeAllSessionsForUserInput extends WithUserContext {
  userId: string
  /** Default true. */
  revokeSessionsForLinkedAccounts?: boolean
}

export interface GetAllSessionHandlesForUserInput extends WithUserContext {
  userId: string
  /** Default true. */
  fetchSessionsForAllLinkedAccounts?: boolean
}

export type StatusOK = { status: 'OK' }

// ---- Overridable interfaces ---------------------------------------------------------------------------------

/** The recipe functions (`override.functions`). Inputs as received by overrides carry `userContext`. */
export interface RecipeFunctions {
  signInUp(input: SignInUpInput): Promise<SignInUpResult>
  manuallyCreateOrUpdateUser(input: SignInUpInput): Promise<ManuallyCreateOrUpdateUserResult>
  shouldDoAutomaticAccountLinking(input: ShouldDoAutomaticAccountLinkingInput): Promise<ShouldAutomaticallyLink>
  onAccountLinked(input: OnAccountLinkedInput): Promise<StatusOK | void>
  createPrimaryUser(input: RecipeUserIdInput): Promise<CreatePrimaryUserResult>
  canCreatePrimaryUser(input: RecipeUserIdInput): Promise<CreatePrimaryUserResult>
  linkAccounts(input: LinkAccountsInput): Promise<LinkAccountsResult>
  canLinkAccounts(input: LinkAccountsInput): Promise<LinkAccountsResult>
  unlinkAccount(input: RecipeUserIdInput): Promise<UnlinkAccountResult>
  deleteUser(input: DeleteUserInput): Promise<StatusOK | void>
  getUser(input: UserIdInput): Promise<User | null | undefined>
  listUsersByAccountInfo(input: ListUsersByAccountInfoInput): Promise<User[]>
  getUsers(input: GetUsersInput): Promise<GetUsersResult>
  isEmailVerified(input: EmailVerificationInput): Promise<boolean>
  verifyEmail(input: VerifyEmailInput): Promise<VerifyEmailResult>
  unverifyEmail(input: EmailVerificationInput): Promise<StatusOK | void>
  createOrUpdateTenant(input: CreateOrUpdateTenantInput): Promise<CreateOrUpdateTenantResult>
  deleteTenant(input: TenantIdInput): Promise<DeleteTenantResult>
  getTenant(input: TenantIdInput): Promise<Tenant | null | undefined>
  listAllTenants(input?: WithUserContext): Promise<Tenant[]>
  associateUserToTenant(input: TenantUserInput): Promise<AssociateUserToTenantResult>
  disassociateUserFromTenant(input: TenantUserInput): Promise<DisassociateUserFromTenantResult>
  createNewSession(input: CreateNewSessionInput): Promise<CreateNewSessionResult>
  getSession(input: GetSessionInput): Promise<GetSessionResult>
  revokeSession(input: SessionHandleInput): Promise<boolean>
  revokeAllSessionsForUser(input: RevokeAllSessionsForUserInput): Promise<string[]>
  getAllSessionHandlesForUser(input: GetAllSessionHandlesForUserInput): Promise<string[]>
}

/** The API functions (`override.apis`). */
export interface APIFunctions {
  signInUpPOST(input: SignInUpPOSTInput): Promise<SignInUpPOSTResult>
  /** Where to send the user (`null`/`undefined`: the default path); the answer is validated afterwards. */
  getRedirectionURL(input: GetRedirectionURLInput): Promise<string | null | undefined>
}

// ---- Events -------------------------------------------------------------------------------------------------

export type EventName =
  | 'signIn'
  | 'signOut'
  | 'createUser'
  | 'updateUser'
  | 'linkAccount'
  | 'unlinkAccount'
  | 'deleteUser'
  | 'session'
  | 'addUserToTenant'
  | 'removeUserFromTenant'

/** An event as handlers receive it: envelope fields plus the fields of its kind (see the core's events.rs). */
export interface AuthEvent {
  /** Stable across redeliveries (delivery is at-least-once). */
  id: string
  name: EventName
  time: number
  tenantId: string | null
  userId: string | null
  [field: string]: any
}

/** Runs after commit, awaited by the operation; a throw never fails the operation: the event is redelivered. */
export type EventHandler = (event: AuthEvent) => void | Promise<void>

export interface EventsConfig {
  /** Default true. Off: no outbox rows and no handler calls. */
  enabled?: boolean
  /** Delivered events older than this are deleted on open (default 90; 0 keeps them). */
  retentionDays?: number
}

export interface ListEventsInput {
  userId?: string
  tenantId?: string
  since?: number
  until?: number
  limit?: number
  paginationToken?: string
}

export interface AuditRecord extends AuthEvent {
  deliveredAt: number | null
  attempts: number
  lastError: string | null
}

export interface ListEventsResult {
  events: AuditRecord[]
  nextPaginationToken?: string
}

export interface DeliveryReport {
  delivered: number
  failed: number
}

export interface AuthCoreOptions {
  database: { sqlite: string }
  /** Static providers; absent: every `thirdPartyId` is available on every tenant. */
  providers?: ProviderConfig[]
  accountLinking?: StaticAccountLinking | CallbackAccountLinking
  sessionLifetimeMs?: number
  /** Longest one call into an override, policy callback or event handler may take, else `HOST_TIMEOUT`.
   * Default 30000; 0: no limit. */
  hostTimeoutMs?: number
  redirect?: RedirectConfig
  /** The core's event settings (`events` is the handlers map). */
  eventsConfig?: EventsConfig
  /** Handlers by event name; `'*'` gets every event. */
  events?: Partial<Record<EventName | '*', EventHandler>>
  override?: {
    /** Gets `original` (the layer below); returns the replacement, e.g. `{...original, signInUp: async (input) => ...}`. */
    functions?: (original: RecipeFunctions) => RecipeFunctions
    apis?: (original: APIFunctions) => APIFunctions
  }
}

// ---- The handle ---------------------------------------------------------------------------------------------

/** The engine's own operations, with their types, are derived from the core's declaration (`declared.d.ts`). */
export interface AuthCore extends DeclaredOperations {}
export declare class AuthCore implements RecipeFunctions, APIFunctions {
  private constructor()
  /** Opens (or creates) the database and builds the engine. */
  static open(options: AuthCoreOptions): Promise<AuthCore>

  signInUp(input: SignInUpInput): Promise<SignInUpResult>
  manuallyCreateOrUpdateUser(input: SignInUpInput): Promise<ManuallyCreateOrUpdateUserResult>
  signInUpPOST(input: SignInUpPOSTInput): Promise<SignInUpPOSTResult>
  getRedirectionURL(input: GetRedirectionURLInput): Promise<string | null>

  shouldDoAutomaticAccountLinking(input: ShouldDoAutomaticAccountLinkingInput): Promise<ShouldAutomaticallyLink>
  onAccountLinked(input: OnAccountLinkedInput): Promise<StatusOK>
  createPrimaryUser(input: RecipeUserIdInput): Promise<CreatePrimaryUserResult>
  canCreatePrimaryUser(input: RecipeUserIdInput): Promise<CreatePrimaryUserResult>
  linkAccounts(input: LinkAccountsInput): Promise<LinkAccountsResult>
  canLinkAccounts(input: LinkAccountsInput): Promise<LinkAccountsResult>
  unlinkAccount(input: RecipeUserIdInput): Promise<UnlinkAccountResult>
  deleteUser(input: DeleteUserInput): Promise<StatusOK>

  /** `null` when no user has this id (a member id or the primary id). */
  getUser(input: UserIdInput): Promise<User | null>
  listUsersByAccountInfo(input: ListUsersByAccountInfoInput): Promise<User[]>
  getUsers(input?: GetUsersInput): Promise<GetUsersResult>

  isEmailVerified(input: EmailVerificationInput): Promise<boolean>
  verifyEmail(input: VerifyEmailInput): Promise<VerifyEmailResult>
  unverifyEmail(input: EmailVerificationInput): Promise<StatusOK>

  createOrUpdateTenant(input: CreateOrUpdateTenantInput): Promise<CreateOrUpdateTenantResult>
  deleteTenant(input: TenantIdInput): Promise<DeleteTenantResult>
  /** `null` when the tenant does not exist. */
  getTenant(input: TenantIdInput): Promise<Tenant | null>
  listAllTenants(input?: WithUserContext): Promise<Tenant[]>
  associateUserToTenant(input: TenantUserInput): Promise<AssociateUserToTenantResult>
  disassociateUserFromTenant(input: TenantUserInput): Promise<DisassociateUserFromTenantResult>

  createNewSession(input: CreateNewSessionInput): Promise<CreateNewSessionResult>
  getSession(input: GetSessionInput): Promise<GetSessionResult>
  /** Whether a session was revoked. */
  revokeSession(input: SessionHandleInput): Promise<boolean>
  /** The revoked session handles. */
  revokeAllSessionsForUser(input: RevokeAllSessionsForUserInput): Promise<string[]>
  getAllSessionHandlesForUser(input: GetAllSessionHandlesForUserInput): Promise<string[]>


  /** Closes the engine: new calls fail with `SHUT_DOWN` at once, calls already running finish, pending events
   *  are delivered (the result counts that last delivery). */
  shutdown(): Promise<DeliveryReport>
}

export type AuthErrorCode =
  | 'INVALID_INPUT'
  | 'EMPTY_FIELD'
  | 'FIELD_TOO_LONG'
  | 'INVALID_EMAIL'
  | 'INVALID_TENANT_ID'
  | 'TENANT_NOT_FOUND'
  | 'UNKNOWN_USER_ID'
  | 'CANNOT_DELETE_PUBLIC_TENANT'
  | 'PROVIDER_NOT_FOUND'
  | 'DUPLICATE_PROVIDER'
  | 'FIRST_FACTOR_NOT_ALLOWED'
  | 'INVALID_PAGINATION_TOKEN'
  | 'STORAGE_ERROR'
  | 'INTERNAL_ERROR'
  | 'HOST_ERROR'
  | 'HOST_TIMEOUT'
  | 'USER_NOT_IN_TENANT'
  | 'UNAUTHORISED'
  | 'SCHEMA_TOO_NEW'
  | 'SHUT_DOWN'

/** An error of the engine (misuse or infrastructure); domain outcomes are result statuses instead. */
export declare class AuthError extends Error {
  constructor(code: AuthErrorCode | string, message: string, details?: Record<string, any>)
  /** The stable code (`AuthError::code()` in the core). */
  readonly code: AuthErrorCode | string
  /** The error's own fields (`field`, `tenantId`, `userId`, ...). */
  readonly details: Record<string, any>
}

export declare const RECIPE_FUNCTIONS: readonly (keyof RecipeFunctions)[]
export declare const API_FUNCTIONS: readonly (keyof APIFunctions)[]
export declare const EVENT_NAMES: readonly EventName[]

/** One operation of the core's declaration (`authcore::ops`). */
export interface DeclaredOperation {
  readonly name: string
  readonly kind: 'recipe' | 'api' | 'engine'
  /** The argument type: a declared struct, or an input type taken whole. */
  readonly input: string
  /** The declared arguments (Rust names and types, defaults as written); empty when the input is taken whole. */
  readonly args: readonly { readonly name: string; readonly ty: string; readonly default: string | null }[]
  readonly result: string
  /** How the result looks in its JSON form: 'direct', 'ok', 'flat' or the key it sits under. */
  readonly envelope: string
  readonly doc: string
}
/** Every public operation, as the core declares it. */
export declare const OPERATIONS: readonly DeclaredOperation[]
/** A result in its operation's JSON form (`{status: 'OK', ...}`), by the declared envelope. */
export declare function jsonForm(op: string, value: unknown): unknown
