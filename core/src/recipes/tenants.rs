//! Tenants (spec §5): configuration, per-tenant providers and first factors, user association.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{require_tenant, reservations, sessions, Group, Step, Tx, TxResult};
use crate::error::AuthError;
use crate::events::EventName;
use crate::model::ids::{self, PUBLIC_TENANT};
use crate::oauth::secrets::{self, SecretsKey};
use crate::recipes::sessions::RevokeReason;
use crate::store::{Constraint, StoreError};

/// The first-factor id of the third-party recipe.
pub const THIRD_PARTY_FACTOR: &str = "thirdparty";

/// Stored tenant configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct TenantConfig {
    #[serde(default = "yes")]
    pub third_party_enabled: bool,
    /// `None`: every factor is a valid first factor. A new non-public tenant starts with `Some([])`, as
    /// SuperTokens' V2 API does: its sign-in APIs refuse logins until it is configured (spec §5.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_factors: Option<Vec<String>>,
    /// The tenant's own providers (SuperTokens' "core" providers, spec §5.4): when there are any, only these are
    /// offered, each merged over the static provider of the same id. Stored with their secrets encrypted;
    /// shown without them.
    #[serde(default)]
    pub providers: Vec<ProviderConfig>,
}

fn yes() -> bool {
    true
}

impl Default for TenantConfig {
    fn default() -> Self {
        TenantConfig {
            third_party_enabled: true,
            first_factors: None,
            providers: Vec::new(),
        }
    }
}

impl TenantConfig {
    /// Whether third party may be used as a first factor here (spec §5.4, SDK rule).
    pub fn allows_third_party_first_factor(&self) -> bool {
        self.third_party_enabled
            && self
                .first_factors
                .as_ref()
                .is_none_or(|f| f.iter().any(|x| x == THIRD_PARTY_FACTOR))
    }
}

/// A partial update: only the fields given change. `firstFactors: null` resets to "all factors".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantConfigInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub third_party_enabled: Option<bool>,
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schemars(with = "Option<Vec<String>>"))]
    pub first_factors: Option<Option<Vec<String>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub providers: Option<Vec<ProviderConfig>>,
}

mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        v: &Option<Option<Vec<String>>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        v.as_ref().and_then(|x| x.as_ref()).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<Vec<String>>>, D::Error> {
        Ok(Some(Option::deserialize(d)?))
    }
}

/// A tenant as callers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    pub tenant_id: String,
    #[serde(flatten)]
    pub config: TenantConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
pub enum CreateOrUpdateTenantResult {
    #[serde(rename = "OK", rename_all = "camelCase")]
    Ok { created_new: bool },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
pub enum DeleteTenantResult {
    #[serde(rename = "OK", rename_all = "camelCase")]
    Ok { did_exist: bool },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
pub enum AssociateUserToTenantResult {
    #[serde(rename = "OK", rename_all = "camelCase")]
    Ok { was_already_associated: bool },
    #[serde(rename = "UNKNOWN_USER_ID_ERROR")]
    UnknownUserIdError,
    #[serde(rename = "THIRD_PARTY_USER_ALREADY_EXISTS_ERROR")]
    ThirdPartyUserAlreadyExistsError,
    #[serde(rename = "ASSOCIATION_NOT_ALLOWED_ERROR")]
    AssociationNotAllowedError { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
pub enum DisassociateUserFromTenantResult {
    #[serde(rename = "OK", rename_all = "camelCase")]
    Ok { was_associated: bool },
    #[serde(rename = "UNKNOWN_USER_ID_ERROR")]
    UnknownUserIdError,
}

/// A provider a tenant may store: a valid id and, unless `skip_validation`, clients SuperTokens' core would
/// accept (a client id each; a distinct `clientType` each when there are several).
fn validate_provider(p: &ProviderConfig, skip_validation: bool) -> Result<(), AuthError> {
    ids::validate_third_party_id(&p.third_party_id)?;
    if skip_validation {
        return Ok(());
    }
    let mut types = std::collections::BTreeSet::new();
    for c in &p.clients {
        if c.client_id.trim().is_empty() {
            return Err(AuthError::EmptyField {
                field: "clients[].clientId".into(),
            });
        }
        if p.clients.len() > 1 && c.client_type.is_none() {
            return Err(AuthError::invalid(
                "clients[].clientType",
                "every client needs a clientType when a provider has several",
            ));
        }
        if !types.insert(c.client_type.as_deref()) {
            return Err(AuthError::invalid(
                "clients[].clientType",
                "two clients have the same clientType",
            ));
        }
    }
    Ok(())
}

fn validate_input(input: &TenantConfigInput) -> Result<(), AuthError> {
    if let Some(providers) = &input.providers {
        let mut seen = std::collections::BTreeSet::new();
        for p in providers {
            validate_provider(p, false)?;
            if !seen.insert(p.third_party_id.as_str()) {
                return Err(AuthError::DuplicateProvider {
                    third_party_id: p.third_party_id.clone(),
                });
            }
        }
    }
    if let Some(Some(factors)) = &input.first_factors {
        if factors.iter().any(|f| f.trim().is_empty()) {
            return Err(AuthError::EmptyField {
                field: "firstFactors".into(),
            });
        }
    }
    Ok(())
}

pub(crate) fn create_or_update(
    tx: &mut Tx<'_>,
    key: Option<&SecretsKey>,
    tenant_id: &str,
    input: &TenantConfigInput,
) -> TxResult<CreateOrUpdateTenantResult> {
    validate_input(input)?;
    let existing = tx.s.tenant(tenant_id)?;
    let mut config = existing.clone().unwrap_or_else(|| TenantConfig {
        first_factors: if tenant_id == PUBLIC_TENANT {
            None
        } else {
            Some(Vec::new())
        },
        ..TenantConfig::default()
    });
    if let Some(v) = input.third_party_enabled {
        config.third_party_enabled = v;
    }
    if let Some(f) = &input.first_factors {
        config.first_factors = f.clone();
    }
    if let Some(p) = &input.providers {
        config.providers = p
            .iter()
            .map(|p| secrets::seal(key, tenant_id, p))
            .collect::<Result<_, _>>()?;
    }
    let created_new = tx.s.upsert_tenant(tenant_id, &config, tx.now)?;
    Ok(CreateOrUpdateTenantResult::Ok { created_new })
}

/// `createOrUpdateThirdPartyConfig`'s result (SuperTokens' multitenancy recipe).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
pub enum CreateOrUpdateThirdPartyConfigResult {
    #[serde(rename = "OK", rename_all = "camelCase")]
    Ok { created_new: bool },
}

/// `deleteThirdPartyConfig`'s result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(tag = "status")]
pub enum DeleteThirdPartyConfigResult {
    #[serde(rename = "OK", rename_all = "camelCase")]
    Ok { did_config_exist: bool },
}

/// Adds the provider to the tenant's own list, or replaces the one with its id; its secrets are sealed first.
pub(crate) fn create_or_update_third_party_config(
    tx: &mut Tx<'_>,
    key: Option<&SecretsKey>,
    tenant_id: &str,
    provider: &ProviderConfig,
    skip_validation: bool,
) -> TxResult<CreateOrUpdateThirdPartyConfigResult> {
    validate_provider(provider, skip_validation)?;
    let mut config = require_tenant(tx, tenant_id)?;
    let sealed = secrets::seal(key, tenant_id, provider)?;
    let created_new = match config
        .providers
        .iter_mut()
        .find(|p| p.third_party_id == provider.third_party_id)
    {
        Some(existing) => {
            *existing = sealed;
            false
        }
        None => {
            config.providers.push(sealed);
            true
        }
    };
    tx.s.upsert_tenant(tenant_id, &config, tx.now)?;
    Ok(CreateOrUpdateThirdPartyConfigResult::Ok { created_new })
}

/// Removes the provider from the tenant's own list. Removing the last one makes the tenant offer the static
/// providers again, as in SuperTokens.
pub(crate) fn delete_third_party_config(
    tx: &mut Tx<'_>,
    tenant_id: &str,
    third_party_id: &str,
) -> TxResult<Step<DeleteThirdPartyConfigResult>> {
    let mut config = require_tenant(tx, tenant_id)?;
    let before = config.providers.len();
    config
        .providers
        .retain(|p| p.third_party_id != third_party_id);
    if config.providers.len() == before {
        return Ok(Step::Rollback(DeleteThirdPartyConfigResult::Ok {
            did_config_exist: false,
        }));
    }
    tx.s.upsert_tenant(tenant_id, &config, tx.now)?;
    Ok(Step::Commit(DeleteThirdPartyConfigResult::Ok {
        did_config_exist: true,
    }))
}

/// The tenant as callers see it: the stored configuration with every provider secret left out.
pub fn shown(tenant_id: String, mut config: TenantConfig) -> Tenant {
    for p in &mut config.providers {
        *p = secrets::redact(p);
    }
    Tenant { tenant_id, config }
}

pub(crate) fn delete(
    tx: &mut Tx<'_>,
    tenant_id: &str,
) -> TxResult<(DeleteTenantResult, Vec<String>)> {
    if tenant_id == PUBLIC_TENANT {
        return Err(AuthError::CannotDeletePublicTenant.into());
    }
    // Sessions are tenant-scoped data: they go with the tenant (spec §5.2); users stay.
    let revoked = tx.s.sessions_in_tenant(tenant_id)?;
    for h in &revoked {
        sessions::revoke(tx, h, RevokeReason::TenantDeleted)?;
    }
    let did_exist = tx.s.delete_tenant(tenant_id)?;
    Ok((DeleteTenantResult::Ok { did_exist }, revoked))
}

pub(crate) fn associate(
    tx: &mut Tx<'_>,
    tenant_id: &str,
    recipe_user_id: &str,
) -> TxResult<Step<AssociateUserToTenantResult>> {
    require_tenant(tx, tenant_id)?;
    let Some(row) = tx.s.recipe_user(recipe_user_id)? else {
        return Ok(Step::Rollback(
            AssociateUserToTenantResult::UnknownUserIdError,
        ));
    };
    if row.tenant_ids.iter().any(|t| t == tenant_id) {
        return Ok(Step::Rollback(AssociateUserToTenantResult::Ok {
            was_already_associated: true,
        }));
    }
    // U3 first: the whole group's account infos get reserved in the new tenant (spec §5.5 step 2).
    if row.is_linked_or_primary {
        let mut group = Group::load(tx, &row.primary_or_recipe_user_id)?
            .ok_or_else(|| super::unknown_user(recipe_user_id))?;
        if let Some(m) = group.member_mut(recipe_user_id) {
            m.tenant_ids.push(tenant_id.to_string());
        }
        if let Some(c) = reservations::sync_group(tx, &group)? {
            return Ok(Step::Rollback(
                AssociateUserToTenantResult::AssociationNotAllowedError {
                    reason: c.association_reason(),
                },
            ));
        }
    }
    // Then U1 (step 3).
    match tx.s.add_user_to_tenant(recipe_user_id, tenant_id) {
        Ok(_) => {
            let message = json!({"recipeUserId": recipe_user_id, "tenantId": tenant_id});
            tx.emit(
                EventName::AddUserToTenant,
                Some(tenant_id),
                Some(&row.primary_or_recipe_user_id),
                message,
            );
            Ok(Step::Commit(AssociateUserToTenantResult::Ok {
                was_already_associated: false,
            }))
        }
        Err(StoreError::UniqueViolation(Constraint::ThirdPartyInTenant)) => Ok(Step::Rollback(
            AssociateUserToTenantResult::ThirdPartyUserAlreadyExistsError,
        )),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn disassociate(
    tx: &mut Tx<'_>,
    tenant_id: &str,
    recipe_user_id: &str,
) -> TxResult<Step<(DisassociateUserFromTenantResult, Vec<String>)>> {
    require_tenant(tx, tenant_id)?;
    let Some(row) = tx.s.recipe_user(recipe_user_id)? else {
        return Ok(Step::Rollback((
            DisassociateUserFromTenantResult::UnknownUserIdError,
            Vec::new(),
        )));
    };
    if !tx.s.remove_user_from_tenant(recipe_user_id, tenant_id)? {
        return Ok(Step::Rollback((
            DisassociateUserFromTenantResult::Ok {
                was_associated: false,
            },
            Vec::new(),
        )));
    }
    let revoked = sessions::revoke_for_recipe_users(
        tx,
        &[recipe_user_id.to_string()],
        Some(tenant_id),
        RevokeReason::RemovedFromTenant,
    )?;
    let message = json!({"recipeUserId": recipe_user_id, "tenantId": tenant_id});
    tx.emit(
        EventName::RemoveUserFromTenant,
        Some(tenant_id),
        Some(&row.primary_or_recipe_user_id),
        message,
    );
    if row.is_linked_or_primary {
        if let Some(group) = Group::load(tx, &row.primary_or_recipe_user_id)? {
            reservations::sync_group(tx, &group)?;
        }
    }
    Ok(Step::Commit((
        DisassociateUserFromTenantResult::Ok {
            was_associated: true,
        },
        revoked,
    )))
}

pub use crate::oauth::ProviderConfig;

/// `mergeProvidersFromCoreAndStatic` reduced to availability: is `third_party_id` usable on this tenant?
/// `static_providers = None` means no static list was configured: every provider is available.
pub fn provider_available(
    tenant_id: &str,
    tenant: &TenantConfig,
    static_providers: Option<&[ProviderConfig]>,
    third_party_id: &str,
) -> bool {
    if !tenant.providers.is_empty() {
        return tenant
            .providers
            .iter()
            .any(|p| p.third_party_id == third_party_id);
    }
    match static_providers {
        None => true,
        Some(list) => list.iter().any(|p| {
            p.third_party_id == third_party_id
                && (tenant_id == PUBLIC_TENANT || p.include_in_non_public_tenants_by_default)
        }),
    }
}
