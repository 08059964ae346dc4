"""authcore: third-party sign-in/up, account linking, multi-tenancy and auth events with SuperTokens'
semantics, embedded in-process (a Rust core).

Two clients over the same engine:

* ``AuthCore`` -- blocking; share one instance between the threads of a WSGI server (the GIL is released while
  the core works).
* ``AsyncAuthCore`` -- asyncio; every operation is awaitable and never blocks the event loop.
  ``auth.aio`` gives the asyncio client of a blocking one.

Results are ``Record`` objects: ``r.status``, snake_case attributes (``r.user.login_methods[0].recipe_user_id``)
and ``r.to_dict()`` (the core's camelCase JSON). Errors are ``AuthError`` subclasses with ``.code``.
"""

from ._native import (
    ApiFunctions,
    AsyncAuthCore,
    AuthCore,
    AuthError,
    CannotDeletePublicTenantError,
    DuplicateProviderError,
    EmptyFieldError,
    FieldTooLongError,
    FirstFactorNotAllowedError,
    HostError,
    HostTimeoutError,
    SchemaTooNewError,
    ShutDownError,
    UnauthorisedError,
    UserNotInTenantError,
    InternalError,
    InvalidEmailError,
    InvalidInputError,
    InvalidPaginationTokenError,
    InvalidTenantIdError,
    OPERATIONS,
    Override,
    ProviderNotFoundError,
    RecipeFunctions,
    Record,
    StorageError,
    TenantNotFoundError,
    UnknownUserIdError,
    UserContext,
    __version__,
    json_form,
)
from ._types import (
    AccountInfoInput,
    Database,
    EmailInput,
    EventHandler,
    TenantConfigInput,
    TenantProviderInput,
    ThirdPartyInput,
    UserInfoInput,
)

__all__ = [
    "OPERATIONS",
    "json_form",
    "AccountInfoInput",
    "Database",
    "EmailInput",
    "EventHandler",
    "TenantConfigInput",
    "TenantProviderInput",
    "ThirdPartyInput",
    "UserInfoInput",
    "ApiFunctions",
    "AsyncAuthCore",
    "AuthCore",
    "AuthError",
    "CannotDeletePublicTenantError",
    "DuplicateProviderError",
    "EmptyFieldError",
    "FieldTooLongError",
    "FirstFactorNotAllowedError",
    "HostError",
    "HostTimeoutError",
    "SchemaTooNewError",
    "ShutDownError",
    "UnauthorisedError",
    "UserNotInTenantError",
    "InternalError",
    "InvalidEmailError",
    "InvalidInputError",
    "InvalidPaginationTokenError",
    "InvalidTenantIdError",
    "Override",
    "ProviderNotFoundError",
    "RecipeFunctions",
    "Record",
    "StorageError",
    "TenantNotFoundError",
    "UnknownUserIdError",
    "UserContext",
    "__version__",
]
