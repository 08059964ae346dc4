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

from inspect import Parameter as _Parameter, Signature as _Signature
from typing import Any as _Any, Callable as _Callable, Dict as _Dict

from . import _native
# The public names are those of `_native` (the clients, `Record`, `UserContext`, `AuthError` and a subclass per
# code the core declares) and of `_types` (the typed shapes of dict inputs), each module's `__all__`.
from ._native import *
from ._native import __version__ as __version__
from ._types import *


def _method(index: int, name: str, signature: _Signature, doc: str) -> _Callable[..., _Any]:
    """The method of declared operation ``index``: keyword arguments to ``_native._call``, which converts them
    to the operation's JSON, checks them against the declaration and dispatches on ``self``'s class."""
    call = getattr(_native, "_call")

    def method(self: _Any, /, **kwargs: _Any) -> _Any:
        return call(self, index, kwargs)

    method.__name__ = name
    method.__doc__ = doc or None
    setattr(method, "__signature__", signature)
    return method


def _install() -> None:
    """Adds every overridable operation of the core's declaration (``_native._METHODS``) as a method of both
    clients and of ``RecipeFunctions`` / ``ApiFunctions`` (the ``original`` an override factory receives), with
    the signature the declaration gives: keyword arguments, their defaults, and ``user_context``."""
    layers: _Dict[str, type] = {"recipe": RecipeFunctions, "api": ApiFunctions}
    kw = _Parameter.KEYWORD_ONLY
    for index, name, kind, params, doc in getattr(_native, "_METHODS"):
        signature = _Signature(
            [_Parameter("self", _Parameter.POSITIONAL_ONLY)]
            + [_Parameter(p, kw) if d == "required" else _Parameter(p, kw, default=d) for p, d in params]
            + [_Parameter("user_context", kw, default=None)]
        )
        for cls in (AuthCore, AsyncAuthCore, layers[kind]):
            m = _method(index, name, signature, doc)
            m.__qualname__ = f"{cls.__name__}.{name}"
            setattr(cls, name, m)


_install()
