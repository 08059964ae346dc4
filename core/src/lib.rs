//! authcore: third-party sign-in/up, account linking, multi-tenancy and sessions with SuperTokens' semantics,
//! embedded in-process. See the README for the model and `tests/scenarios/` for the executable contract.

// The types' uniffi component (feature `uniffi`, for bindings/uniffi): its own namespace, so Kotlin gets the
// types in their own package and Swift in their own module (uniffi gives every crate its own helpers, which
// cannot share a Kotlin package with the binding's).
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!("authcore_model");

pub mod api;
pub mod engine;
pub mod error;
pub mod events;
pub mod functions;
pub mod host;
mod io;
pub mod json;
pub mod layers;
pub mod model;
pub mod oauth;
pub mod ops;
mod outbox;
pub mod policy;
pub mod recipes;
pub mod redirect;
#[cfg(feature = "schema")]
pub mod schema;
pub mod store;
#[cfg(feature = "uniffi")]
pub mod uniffi_types;

pub use api::{
    ApiFunctions, GetAuthorisationUrlInput, GetAuthorisationUrlResult, ProviderUserInfo,
    SignInUpPostInput, SignInUpPostResult,
};
pub use engine::{AuthCore, AuthCoreBuilder, AuthCoreConfig};
pub use error::{AuthError, Result};
pub use functions::*;
pub use model::{
    AccountInfo, EmailInput, LoginMethod, RecipeId, SignInUpInput, ThirdPartyInfo, User,
};
pub use policy::{
    AccountLinkingConfig, LinkingExplanation, LinkingOutcome, LinkingReason, NewAccountInfo,
    ShouldAutomaticallyLink,
};
pub use recipes::linking::{CreatePrimaryUserResult, LinkAccountsResult, UnlinkAccountResult};
pub use recipes::sessions::{CreateNewSessionResult, GetSessionInput, GetSessionResult, Session};
pub use recipes::tenants::{
    AssociateUserToTenantResult, CreateOrUpdateTenantResult, CreateOrUpdateThirdPartyConfigResult,
    DeleteTenantResult, DeleteThirdPartyConfigResult, DisassociateUserFromTenantResult,
    ProviderConfig, Tenant, TenantConfig, TenantConfigInput,
};
pub use recipes::thirdparty::{IdGenerator, SignInUpResult};
pub use store::database::DatabaseConfig;
