//! The records and enums Kotlin and Swift see are the core's own (`authcore` with its `uniffi` feature, which
//! derives them where they are declared; Kotlin package `dev.authcore.model`, Swift module `AuthCoreModel`).
//! This module names them for the rest of the crate and keeps the one input whose core form uniffi cannot
//! carry.

pub use authcore::events::{
    AuditRecord, DeliveryReport, Event, EventName, ListEventsInput, ListEventsResult,
};
pub use authcore::policy::{LinkingExplanation, NewAccountInfo, ShouldAutomaticallyLink};
pub use authcore::redirect::RedirectContext;
// Every type the declaration names (a new operation's types arrive with it); the binding's own
// `TenantConfigInput` below shadows the core's.
pub use authcore::ops::types::*;
pub use authcore::AuthCoreConfig;

/// How `createOrUpdateTenant` changes a tenant's first factors (`null` in JSON = `AllFactors`).
///
/// A binding type on purpose: the core's field is `Option<Option<Vec<String>>>` (absent: unchanged; `null`:
/// every factor; a list: only those), and a nullable of a nullable collapses to one nullable in Kotlin, so
/// "reset to every factor" could not be said. This enum says it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum FirstFactorsInput {
    /// Every factor is a valid first factor.
    AllFactors,
    /// Only these.
    Only { factors: Vec<String> },
}

/// A partial tenant update: absent fields stay as they are. The core's `TenantConfigInput` but for
/// `firstFactors` (see [`FirstFactorsInput`]), hence a binding type.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct TenantConfigInput {
    #[uniffi(default = None)]
    pub third_party_enabled: Option<bool>,
    #[uniffi(default = None)]
    pub first_factors: Option<FirstFactorsInput>,
    #[uniffi(default = None)]
    pub providers: Option<Vec<ProviderConfig>>,
}

impl From<authcore::TenantConfigInput> for TenantConfigInput {
    fn from(c: authcore::TenantConfigInput) -> Self {
        let authcore::TenantConfigInput {
            third_party_enabled,
            first_factors,
            providers,
        } = c;
        TenantConfigInput {
            third_party_enabled,
            first_factors: first_factors.map(|f| match f {
                None => FirstFactorsInput::AllFactors,
                Some(factors) => FirstFactorsInput::Only { factors },
            }),
            providers,
        }
    }
}

impl From<TenantConfigInput> for authcore::TenantConfigInput {
    fn from(c: TenantConfigInput) -> Self {
        let TenantConfigInput {
            third_party_enabled,
            first_factors,
            providers,
        } = c;
        authcore::TenantConfigInput {
            third_party_enabled,
            first_factors: first_factors.map(|f| match f {
                FirstFactorsInput::AllFactors => None,
                FirstFactorsInput::Only { factors } => Some(factors),
            }),
            providers,
        }
    }
}

/// The event's name as it appears in JSON and in the audit log (`"createUser"`).
#[uniffi::export]
pub fn event_name_string(name: EventName) -> String {
    name.as_str().to_string()
}
