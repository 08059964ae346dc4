//! Provider secrets stored per tenant (client secrets, Apple's private key), sealed with AES-256-GCM under a key
//! the application supplies (`providerSecretsKey`), so a copy of the database alone does not give them away.
//!
//! A sealed value is `authcore-sealed:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`. The key id (the first
//! bytes of the key's SHA-256) tells a wrong key apart from a tampered value. The associated data binds the value
//! to its tenant, provider, client and field: a sealed secret copied to another tenant or provider does not open.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::config::{ProviderClientConfig, ProviderConfig};
use crate::error::{AuthError, Result};

const PREFIX: &str = "authcore-sealed:v1:";
/// The provider settings inside `additionalConfig` that are secrets (Apple's signing key).
const SECRET_ADDITIONAL_KEYS: &[&str] = &["privateKey"];

/// The application's key for provider secrets. `Debug` never shows it.
pub struct SecretsKey {
    key: LessSafeKey,
    id: String,
}

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsKey").field("id", &self.id).finish()
    }
}

impl SecretsKey {
    /// Parses 32 bytes given in base64 (standard or URL-safe, padded or not).
    pub fn parse(encoded: &str) -> Result<Self> {
        let encoded = encoded.trim();
        let bytes = [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(encoded).ok())
            .filter(|b| b.len() == 32)
            .ok_or_else(|| {
                AuthError::invalid(
                    "providerSecretsKey",
                    "must be 32 random bytes in base64 (for example `openssl rand -base64 32`)",
                )
            })?;
        let id = hex8(&Sha256::digest(&bytes));
        let key = UnboundKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| AuthError::invalid("providerSecretsKey", "not an AES-256 key"))?;
        Ok(SecretsKey {
            key: LessSafeKey::new(key),
            id,
        })
    }

    fn seal(&self, aad: &str, plaintext: &str) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce)
            .map_err(|e| AuthError::internal(format!("no randomness: {e}")))?;
        let mut data = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_bytes()),
                &mut data,
            )
            .map_err(|_| AuthError::internal("sealing a provider secret failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!(
            "{PREFIX}{}:{}",
            self.id,
            URL_SAFE_NO_PAD.encode(out)
        ))
    }

    fn open(&self, aad: &str, sealed: &str) -> Option<String> {
        let rest = sealed.strip_prefix(PREFIX)?;
        let (id, body) = rest.split_once(':')?;
        if id != self.id {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(body).ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, data) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut data = data.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut data)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok()
    }
}

fn hex8(digest: &[u8]) -> String {
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// What a sealed value is bound to: tenant, provider, client and field.
fn aad(
    tenant_id: &str,
    third_party_id: &str,
    client: &ProviderClientConfig,
    field: &str,
) -> String {
    format!(
        "{tenant_id}\u{0}{third_party_id}\u{0}{}\u{0}{}\u{0}{field}",
        client.client_type.as_deref().unwrap_or(""),
        client.client_id
    )
}

/// Whether the client carries a secret that must be sealed before it is stored.
fn has_secret(client: &ProviderClientConfig) -> bool {
    client.client_secret.is_some()
        || client
            .additional_config
            .as_ref()
            .is_some_and(|m| SECRET_ADDITIONAL_KEYS.iter().any(|k| m.contains_key(*k)))
}

/// Applies `f` to every secret of the provider's clients (`clientSecret`, `additionalConfig.privateKey`).
fn map_secrets(
    tenant_id: &str,
    config: &ProviderConfig,
    mut f: impl FnMut(&str, &str) -> Result<String>,
) -> Result<ProviderConfig> {
    let mut out = config.clone();
    for client in &mut out.clients {
        let snapshot = client.clone();
        if let Some(secret) = &client.client_secret {
            let bound = aad(tenant_id, &config.third_party_id, &snapshot, "clientSecret");
            client.client_secret = Some(f(&bound, secret)?);
        }
        if let Some(extra) = &mut client.additional_config {
            for key in SECRET_ADDITIONAL_KEYS {
                match extra.get(*key) {
                    None => {}
                    Some(Value::String(secret)) => {
                        let bound = aad(tenant_id, &config.third_party_id, &snapshot, key);
                        let sealed = f(&bound, secret)?;
                        extra.insert((*key).to_string(), Value::String(sealed));
                    }
                    // Never stored (or sent) as it is: a secret that is not text is a mistake.
                    Some(_) => {
                        return Err(AuthError::invalid(
                            "additionalConfig",
                            format!("{key} must be a string"),
                        ))
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The provider as it is stored for `tenant_id`: its secrets sealed. Refused without a key when it has any.
pub fn seal(
    key: Option<&SecretsKey>,
    tenant_id: &str,
    config: &ProviderConfig,
) -> Result<ProviderConfig> {
    if !config.clients.iter().any(has_secret) {
        return Ok(config.clone());
    }
    let key = key.ok_or_else(|| AuthError::SecretsKeyRequired {
        third_party_id: config.third_party_id.clone(),
    })?;
    map_secrets(tenant_id, config, |aad, secret| {
        if secret.starts_with(PREFIX) {
            // A sealed value is never sealed twice, nor accepted as a secret from outside.
            return Err(AuthError::invalid(
                "clientSecret",
                "a sealed value cannot be stored as a secret",
            ));
        }
        key.seal(aad, secret)
    })
}

/// The stored provider of `tenant_id` with its secrets opened, for one sign-in.
pub fn open(
    key: Option<&SecretsKey>,
    tenant_id: &str,
    config: &ProviderConfig,
) -> Result<ProviderConfig> {
    if !config.clients.iter().any(has_secret) {
        return Ok(config.clone());
    }
    let unreadable = || AuthError::SecretUnreadable {
        third_party_id: config.third_party_id.clone(),
    };
    map_secrets(tenant_id, config, |aad, sealed| {
        key.and_then(|k| k.open(aad, sealed)).ok_or_else(unreadable)
    })
}

/// The provider as callers see it (`getTenant`, `listAllTenants`): every secret left out.
pub fn redact(config: &ProviderConfig) -> ProviderConfig {
    let mut out = config.clone();
    for client in &mut out.clients {
        client.client_secret = None;
        if let Some(extra) = &mut client.additional_config {
            for key in SECRET_ADDITIONAL_KEYS {
                extra.remove(*key);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretsKey {
        SecretsKey::parse(&STANDARD.encode([byte; 32])).expect("key")
    }

    fn provider(secret: &str) -> ProviderConfig {
        let mut p = ProviderConfig::named("google");
        p.clients.push(ProviderClientConfig {
            client_id: "cid".into(),
            client_secret: Some(secret.into()),
            ..Default::default()
        });
        p
    }

    #[test]
    fn a_sealed_secret_opens_with_its_key_tenant_and_provider_only() {
        let k = key(7);
        let sealed = seal(Some(&k), "t1", &provider("s3cret")).expect("seal");
        let stored = sealed.clients[0].client_secret.clone().expect("stored");
        assert!(stored.starts_with(PREFIX) && !stored.contains("s3cret"));
        let opened = open(Some(&k), "t1", &sealed).expect("open");
        assert_eq!(opened.clients[0].client_secret.as_deref(), Some("s3cret"));
        // Another tenant, another key, no key, a flipped byte: unreadable, never the wrong plaintext.
        for (k2, tenant) in [(Some(&k), "t2"), (Some(&key(8)), "t1"), (None, "t1")] {
            let err = open(k2, tenant, &sealed).expect_err("must not open");
            assert_eq!(err.code(), "SECRET_UNREADABLE");
        }
        let mut tampered = sealed.clone();
        let mut s = stored.clone();
        let last = s.pop().expect("char");
        s.push(if last == 'A' { 'B' } else { 'A' });
        tampered.clients[0].client_secret = Some(s);
        assert!(open(Some(&k), "t1", &tampered).is_err());
    }

    #[test]
    fn storing_a_secret_without_a_key_is_refused_and_redaction_removes_every_secret() {
        let err = seal(None, "t1", &provider("x")).expect_err("refused");
        assert_eq!(err.code(), "SECRETS_KEY_REQUIRED");
        assert!(seal(None, "t1", &ProviderConfig::named("google")).is_ok());
        let mut p = provider("x");
        p.clients[0].additional_config = Some(
            serde_json::json!({"privateKey": "-----BEGIN", "keyId": "k"})
                .as_object()
                .cloned()
                .expect("object"),
        );
        let r = redact(&p);
        let text = serde_json::to_string(&r).expect("json");
        assert!(!text.contains("privateKey") && !text.contains("clientSecret"));
        assert!(text.contains("keyId"));
    }

    #[test]
    fn a_private_key_that_is_not_text_is_refused_not_stored() {
        let mut p = ProviderConfig::named("apple");
        p.clients.push(ProviderClientConfig {
            client_id: "cid".into(),
            additional_config: serde_json::json!({"privateKey": 42}).as_object().cloned(),
            ..Default::default()
        });
        let err = seal(Some(&key(7)), "t1", &p).expect_err("refused");
        assert_eq!(err.code(), "INVALID_INPUT");
    }

    #[test]
    fn a_key_must_be_32_bytes() {
        assert!(SecretsKey::parse("c2hvcnQ=").is_err());
        assert!(SecretsKey::parse(&URL_SAFE_NO_PAD.encode([1u8; 32])).is_ok());
    }
}
