//! Third-party sign-in's provider side: the OAuth 2.0 / OpenID Connect flow (authorisation URL with PKCE,
//! state and nonce; code exchange; id_token verification against the provider's JWKS; user info), provider
//! configuration with supertokens-node's shapes and built-in providers, and the HTTP client it runs on.

pub mod apple;
pub mod builtin;
pub mod config;
pub mod flow;
pub mod http;
pub mod jwt;
pub mod methods;
pub mod secrets;

pub use config::{
    IdTokenChecks, ProviderClientConfig, ProviderConfig, ProviderConfigForClientType, UserFields,
    UserInfoMap,
};
pub use flow::{
    AuthorisationRedirect, OAuthClient, OAuthTokens, RawUserInfo, RedirectUriInfo, UserInfo,
};
pub use http::{
    DefaultHttpClient, HttpClient, HttpError, HttpMethod, HttpPolicy, HttpRequest, HttpResponse,
};
pub use methods::{
    ExchangeAuthCodeInput, GetAuthorisationRedirectUrlInput, GetConfigForClientTypeInput,
    GetUserInfoInput,
};
