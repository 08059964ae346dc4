"""Typed shapes of the dict inputs (snake_case keys; the camelCase JSON keys are accepted too)."""

from __future__ import annotations

import os
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, TypedDict, Union


class EmailInput(TypedDict):
    """``email={"id": "a@example.com", "is_verified": True}``."""

    id: str
    is_verified: bool


class ThirdPartyInput(TypedDict):
    id: str
    user_id: str


class AccountInfoInput(TypedDict, total=False):
    """``account_info=`` of ``list_users_by_account_info``: any of these."""

    email: str
    phone_number: str
    third_party: ThirdPartyInput


class _UserInfoRequired(TypedDict):
    third_party_user_id: str


class UserInfoInput(_UserInfoRequired, total=False):
    """``user_info=`` of ``sign_in_up_post``: what the provider returned."""

    email: EmailInput


#: A provider a tenant offers (``providers=`` of ``create_or_update_tenant``, ``config=`` of
#: ``create_or_update_third_party_config``): the core's ``ProviderConfig`` (``bindings/gen/schema.json``), keys in
#: snake_case; ``third_party_id`` is required. Not restated field by field here: the core validates it.
TenantProviderInput = Dict[str, Any]


class TenantConfigInput(TypedDict, total=False):
    """``config=`` of ``create_or_update_tenant``: a partial update."""

    first_factors: Optional[List[str]]
    third_party_enabled: bool
    providers: List[TenantProviderInput]


class LinkingRule(TypedDict, total=False):
    """A per-tenant or per-provider override of the automatic-linking policy."""

    should_automatically_link: bool
    should_require_verification: bool


class AccountLinkingConfig(TypedDict, total=False):
    """``account_linking=``: the built-in ``shouldDoAutomaticAccountLinking`` (off by default; when on,
    verification is required unless switched off). ``tenants`` and ``providers`` are keyed by id."""

    should_automatically_link: bool
    should_require_verification: bool
    tenants: Dict[str, LinkingRule]
    providers: Dict[str, LinkingRule]


class _ProviderRequired(TypedDict):
    third_party_id: str


class ProviderConfig(_ProviderRequired, total=False):
    """One static provider (``providers=[...]``)."""

    include_in_non_public_tenants_by_default: bool


class EventsConfig(TypedDict, total=False):
    enabled: bool
    retention_days: int


class RedirectConfig(TypedDict, total=False):
    allowed_origins: List[str]
    default_path: str


class AuthCoreConfig(TypedDict, total=False):
    """``config=`` of ``AuthCore.open``: snake_case keys (camelCase ones are accepted too). Unknown keys are
    ``InvalidInputError``."""

    providers: List[ProviderConfig]
    account_linking: AccountLinkingConfig
    session_lifetime_ms: int
    events: EventsConfig
    redirect: RedirectConfig
    host_timeout_ms: int


#: An event handler, ``def`` or ``async def``: called with the event as a dict (``id``, ``name``, ``time``,
#: ``tenantId``, ``userId`` and the message fields, camelCase as the core serialises it).
EventHandler = Callable[[Dict[str, Any]], Union[None, Awaitable[None]]]

#: ``database=``: ``{"sqlite": path}`` (or just the path), or ``{"postgres": url, "schema": "authcore"}``
#: (``schema`` optional: the PostgreSQL schema the tables live in, default ``authcore``). The core checks it:
#: both stores, neither, unknown keys or a ``schema`` for SQLite raise ``InvalidInputError`` (``INVALID_INPUT``).
Database = Union[Mapping[str, Union[str, "os.PathLike[str]"]], str, "os.PathLike[str]"]

__all__ = [
    "AccountInfoInput",
    "AccountLinkingConfig",
    "AuthCoreConfig",
    "EventsConfig",
    "LinkingRule",
    "ProviderConfig",
    "RedirectConfig",
    "Database",
    "EmailInput",
    "EventHandler",
    "TenantConfigInput",
    "TenantProviderInput",
    "ThirdPartyInput",
    "UserInfoInput",
]
