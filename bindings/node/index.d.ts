// Types of the `authcore` npm package, hand-written over the generated `model.d.ts` (the core's types, from its JSON
// Schema), `declared.d.ts` (engine operations) and `native.d.ts`.
// Shapes are the core's JSON (camelCase); every method takes one object argument and returns a Promise.

import type { AuthErrorCode, DeclaredOperations } from './declared'
export * from './declared'
import type {
  AccountLinkingConfig,
  AuthCoreConfig,
  DeliveryReport,
  EventName,
  NewAccountInfo,
  Session,
  ShouldAutomaticallyLink,
  SignInUpPostInput,
  SignInUpPostResult,
  User,
  UserContext,
  WithUserContext,
  DeclaredRecipeFunctions,
  DeclaredAPIFunctions,
  DeclaredCalls,
} from './model'
export * from './model'

// ---- Linking policy -----------------------------------------------------------------------------------------

/** The built-in policy (`AccountLinkingConfig`): a default, then per-tenant rules, then per-provider rules
 *  (provider wins). */
export type StaticAccountLinking = AccountLinkingConfig

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

// ---- Overridable interfaces (their operations, inputs and results are generated: model.d.ts) ------------------

/** The recipe functions (`override.functions`). Inputs as received by overrides carry `userContext`. */
export interface RecipeFunctions extends DeclaredRecipeFunctions {}

/** The API functions (`override.apis`). */
export interface APIFunctions extends DeclaredAPIFunctions {}

/** supertokens-node's names for `signInUpPOST`'s input and result. */
export type SignInUpPOSTInput = SignInUpPostInput & WithUserContext
export type SignInUpPOSTResult = SignInUpPostResult

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

/** Where the data lives: a SQLite file (created if missing), or a PostgreSQL database whose tables live in
 *  `schema` (default `authcore`; created and migrated if needed). Checked by the core: anything else (both
 *  keys, unknown keys, `schema` with SQLite) is `INVALID_INPUT`. */
export type DatabaseOptions =
  | { sqlite: string }
  | {
      /** A libpq-style URL, `postgres://user:password@host:5432/db` (`?sslmode=require` for TLS). */
      postgres: string
      /** The schema the tables live in: lowercase letters, digits and `_`; default `authcore`. */
      schema?: string
    }

/** `AuthCore.open`'s options: the database, the core's configuration (`AuthCoreConfig`, generated from its
 *  schema: providers, linking rules, session lifetime, `hostTimeoutMs`, redirect), JS handlers and overrides. */
export interface AuthCoreOptions extends Omit<AuthCoreConfig, 'accountLinking' | 'events'> {
  database: DatabaseOptions
  accountLinking?: StaticAccountLinking | CallbackAccountLinking
  /** The core's event settings (`events` is the handlers map). */
  eventsConfig?: AuthCoreConfig['events']
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
export interface AuthCore extends DeclaredOperations, DeclaredCalls {}
export declare class AuthCore implements RecipeFunctions, APIFunctions {
  private constructor()
  /** Opens (or creates) the database and builds the engine. */
  static open(options: AuthCoreOptions): Promise<AuthCore>
  /** Closes the engine: new calls fail with `SHUT_DOWN` at once, calls already running finish, pending events
   *  are delivered (the result counts that last delivery). */
  shutdown(): Promise<DeliveryReport>
}

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
