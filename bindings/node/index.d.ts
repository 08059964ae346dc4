// Types of the `authcore` npm package, hand-written over the generated `model.d.ts` (the core's types, from its JSON
// Schema), `declared.d.ts` (engine operations) and `native.d.ts`.
// Shapes are the core's JSON (camelCase); every method takes one object argument and returns a Promise.

import type { DeclaredOperations } from './declared'
export * from './declared'
import type {
  ThirdPartyInfo,
  RecipeId,
  LoginMethod,
  User,
  AccountInfo,
  NewAccountInfo,
  EmailInput,
  Session,
  TenantProvider,
  Tenant,
  TenantConfigInput,
  ShouldAutomaticallyLink,
  LinkingOutcome,
  LinkingReason,
  LinkingExplanation,
  SignInUpInput,
  SignInUpResult,
  ManuallyCreateOrUpdateUserResult,
  RedirectAction,
  RedirectContext,
  RedirectDecision,
  CreatePrimaryUserResult,
  LinkAccountsResult,
  UnlinkAccountResult,
  GetUsersInput,
  GetUsersResult,
  VerifyEmailInput,
  VerifyEmailResult,
  CreateOrUpdateTenantResult,
  DeleteTenantResult,
  AssociateUserToTenantResult,
  DisassociateUserFromTenantResult,
  CreateNewSessionResult,
  GetSessionInput,
  GetSessionResult,
  EventName,
  ListEventsInput,
  AuditRecord,
  ListEventsResult,
  DeliveryReport,
} from './model'
export * from './model'

/** A map that travels through every call of one request; overrides receive the caller's very object. */
export type UserContext = Record<string, any>

export interface WithUserContext {
  userContext?: UserContext
}

// ---- Model ------------------------------------------------------------------------------------------------

export interface ProviderConfig {
  thirdPartyId: string
  includeInNonPublicTenantsByDefault?: boolean
}

// ---- Linking policy -----------------------------------------------------------------------------------------

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

// ---- Inputs and results -------------------------------------------------------------------------------------

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

export interface GetRedirectionURLInput extends RedirectContext, WithUserContext {}

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

export interface EmailVerificationInput extends WithUserContext {
  recipeUserId: string
  /** Default: the login method's email. */
  email?: string
}

export interface TenantIdInput extends WithUserContext {
  tenantId: string
}

export interface CreateOrUpdateTenantInput extends WithUserContext {
  tenantId: string
  config?: TenantConfigInput
}

export interface TenantUserInput extends WithUserContext {
  tenantId: string
  recipeUserId: string
}

export interface CreateNewSessionInput extends WithUserContext {
  tenantId: string
  recipeUserId: string
  /** Default {}. */
  accessTokenPayload?: any
}

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
  signInUp(input: SignInUpInput & WithUserContext): Promise<SignInUpResult>
  manuallyCreateOrUpdateUser(input: SignInUpInput & WithUserContext): Promise<ManuallyCreateOrUpdateUserResult>
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
  getUsers(input: GetUsersInput & WithUserContext): Promise<GetUsersResult>
  isEmailVerified(input: EmailVerificationInput): Promise<boolean>
  verifyEmail(input: VerifyEmailInput & WithUserContext): Promise<VerifyEmailResult>
  unverifyEmail(input: EmailVerificationInput): Promise<StatusOK | void>
  createOrUpdateTenant(input: CreateOrUpdateTenantInput): Promise<CreateOrUpdateTenantResult>
  deleteTenant(input: TenantIdInput): Promise<DeleteTenantResult>
  getTenant(input: TenantIdInput): Promise<Tenant | null | undefined>
  listAllTenants(input?: WithUserContext): Promise<Tenant[]>
  associateUserToTenant(input: TenantUserInput): Promise<AssociateUserToTenantResult>
  disassociateUserFromTenant(input: TenantUserInput): Promise<DisassociateUserFromTenantResult>
  createNewSession(input: CreateNewSessionInput): Promise<CreateNewSessionResult>
  getSession(input: GetSessionInput & WithUserContext): Promise<GetSessionResult>
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

  signInUp(input: SignInUpInput & WithUserContext): Promise<SignInUpResult>
  manuallyCreateOrUpdateUser(input: SignInUpInput & WithUserContext): Promise<ManuallyCreateOrUpdateUserResult>
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
  getUsers(input?: GetUsersInput & WithUserContext): Promise<GetUsersResult>

  isEmailVerified(input: EmailVerificationInput): Promise<boolean>
  verifyEmail(input: VerifyEmailInput & WithUserContext): Promise<VerifyEmailResult>
  unverifyEmail(input: EmailVerificationInput): Promise<StatusOK>

  createOrUpdateTenant(input: CreateOrUpdateTenantInput): Promise<CreateOrUpdateTenantResult>
  deleteTenant(input: TenantIdInput): Promise<DeleteTenantResult>
  /** `null` when the tenant does not exist. */
  getTenant(input: TenantIdInput): Promise<Tenant | null>
  listAllTenants(input?: WithUserContext): Promise<Tenant[]>
  associateUserToTenant(input: TenantUserInput): Promise<AssociateUserToTenantResult>
  disassociateUserFromTenant(input: TenantUserInput): Promise<DisassociateUserFromTenantResult>

  createNewSession(input: CreateNewSessionInput): Promise<CreateNewSessionResult>
  getSession(input: GetSessionInput & WithUserContext): Promise<GetSessionResult>
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
