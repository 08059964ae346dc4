"""Type stubs of ``authcore._native`` (the Rust extension). Import from ``authcore``."""

import os
from typing import Any, Awaitable, Callable, ClassVar, Iterator, Literal, Mapping, Sequence, final

from typing_extensions import Self

from ._declared import *  # the error classes, one per code of the core's declaration
from ._declared import (
    AsyncDeclaredOperations,
    DeclaredApiFunctions,
    DeclaredOperations,
    DeclaredRecipeFunctions,
)
from ._types import (
    AccountInfoInput,
    AuthCoreConfig,
    Database,
    EmailInput,
    EventHandler,
    TenantConfigInput,
    UserInfoInput,
)

__version__: str
# No `__all__`: what this stub defines, and the error classes `from ._declared import *` brings, are its public
# names (stubtest checks them against the module's runtime `__all__`).

OPERATIONS: list[dict[str, Any]]
"""The core's declaration of every public operation: name, kind, args (with defaults), result, envelope."""

def json_form(op: str, value: Any) -> Any:
    """A result of operation ``op`` (camelCase name) in its JSON form (``{"status": "OK", ...}``)."""
    ...

# --- results ----------------------------------------------------------------------------------------------

@final
class Record:
    """A result: the core's JSON, read with snake_case attributes (``r.created_new_user``), camelCase or
    snake_case items (``r["recipeUserId"]``), ``get`` for optional fields, and ``to_dict()`` (camelCase)."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def status(self) -> str: ...
    def __getattr__(self, name: str, /) -> Any: ...
    def __getitem__(self, key: str, /) -> Any: ...
    def __contains__(self, key: str, /) -> bool: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[str]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def get(self, key: str, default: Any = None) -> Any: ...
    def keys(self) -> list[str]: ...
    def values(self) -> list[Any]: ...
    def items(self) -> list[tuple[str, Any]]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self) -> str: ...

@final
class UserContext:
    """The per-request context every override receives as ``user_context``. Dict-like; any value may be stored
    (JSON values are also visible to the core). Pass the same object on (``original.x(..., user_context=ctx)``)
    to stay in the same request."""

    def __new__(cls, data: dict[str, Any] | None = None) -> Self: ...
    def __getitem__(self, key: str, /) -> Any: ...
    def __setitem__(self, key: str, value: Any, /) -> None: ...
    def __delitem__(self, key: str, /) -> None: ...
    def __contains__(self, key: str, /) -> bool: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[str]: ...
    def get(self, key: str, default: Any = None) -> Any: ...
    def keys(self) -> list[str]: ...
    def items(self) -> list[tuple[str, Any]]: ...
    def to_dict(self) -> dict[str, Any]: ...

# --- overrides --------------------------------------------------------------------------------------------

@final
class Override:
    """Override layers in supertokens-python's shape: ``Override(functions=lambda original: Mine(original))``.
    ``Mine`` defines any subset of the methods of ``RecipeFunctions`` (``apis``: ``ApiFunctions``), as ``def``
    or ``async def``, taking keyword arguments including ``user_context``; it may call ``original.<method>``."""

    def __new__(
        cls,
        *,
        functions: Callable[[RecipeFunctions], object] | None = None,
        apis: Callable[[ApiFunctions], object] | None = None,
    ) -> Self: ...
    @property
    def functions(self) -> Callable[[RecipeFunctions], object] | None: ...
    @property
    def apis(self) -> Callable[[ApiFunctions], object] | None: ...

@final
class RecipeFunctions(DeclaredRecipeFunctions):
    """``original`` of a ``functions`` factory: the layer below. In a ``def`` override ``original.x(...)``
    returns the result; in an ``async def`` override ``await original.x(...)``."""


@final
class ApiFunctions(DeclaredApiFunctions):
    """``original`` of an ``apis`` factory: the API layer below (result, or awaitable in ``async def``)."""


# --- clients ----------------------------------------------------------------------------------------------

@final
class AuthCore(DeclaredOperations):
    """The blocking client; share one instance across threads (the GIL is released while the core works)."""

    @staticmethod
    def open(
        *,
        database: Database,
        config: AuthCoreConfig | Mapping[str, Any] | None = None,
        override: Override | Sequence[Override] | None = None,
        events: Mapping[str, EventHandler | list[EventHandler]] | None = None,
    ) -> AuthCore:
        """Opens (or creates) the database: ``{"sqlite": path}`` (or a path) or ``{"postgres": url, "schema":
        "authcore"}`` (``schema`` optional). ``config`` is the engine configuration as camelCase JSON
        (``accountLinking``, ``providers``, ``events``, ``redirect``, ``sessionLifetimeMs``); ``events`` maps
        event names (or ``"*"``) to handlers."""
        ...
    def shutdown(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_args: object) -> bool: ...
    def __getattr__(self, name: str) -> Callable[..., Any]:
        """A declared operation without a method of its own, by snake_case name (keyword arguments)."""
        ...
    @property
    def config(self) -> Record: ...
    @property
    def aio(self) -> AsyncAuthCore: ...

@final
class AsyncAuthCore(AsyncDeclaredOperations):
    """The asyncio client: every operation returns an awaitable (an ``asyncio.Future``)."""

    @staticmethod
    def open(
        *,
        database: Database,
        config: AuthCoreConfig | Mapping[str, Any] | None = None,
        override: Override | Sequence[Override] | None = None,
        events: Mapping[str, EventHandler | list[EventHandler]] | None = None,
    ) -> Awaitable[AsyncAuthCore]: ...
    def shutdown(self) -> Awaitable[None]: ...
    def __aenter__(self) -> Awaitable[Self]: ...
    def __aexit__(self, *_args: object) -> Awaitable[bool]: ...
    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        """A declared operation without a method of its own, by snake_case name (awaitable)."""
        ...
    @property
    def config(self) -> Record: ...

# --- errors -----------------------------------------------------------------------------------------------

class AuthError(Exception):
    """Base of every authcore error. ``code`` is the core's stable code (``"INVALID_EMAIL"``, ...)."""

    code: str
