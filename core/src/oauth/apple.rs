//! Sign in with Apple's client secret: not a configured string but an ES256 JWT the client signs with its
//! private key (Apple's "Creating a client secret"): header `kid` = the key id, claims `iss` = the team id,
//! `sub` = the client (services) id, `aud` = `https://appleid.apple.com`, `iat`, `exp` (at most six months
//! later). Minted with ring from the PKCS#8 PEM of `additionalConfig.privateKey`, and cached until shortly before
//! it expires: a sign-in costs no signature, and Apple sees one secret for months.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The audience Apple requires in a client secret.
pub const AUDIENCE: &str = "https://appleid.apple.com";
/// How long a minted secret is valid: 180 days, as supertokens-node mints (Apple's limit is 15777000 s).
pub const LIFETIME_S: i64 = 180 * 24 * 60 * 60;
/// A cached secret is replaced once less than this is left of it, so none expires on its way to Apple.
pub const RENEW_BEFORE_S: i64 = 60 * 60;

/// Why no secret could be minted. Never carries the key or any part of it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AppleSecretError {
    #[error("additionalConfig needs keyId, teamId and privateKey to mint Apple's client secret (missing: {0})")]
    Missing(&'static str),
    #[error("additionalConfig.privateKey is not a PKCS#8 PEM of a P-256 key")]
    BadKey,
    #[error("the client secret could not be signed")]
    Signing,
}

/// What a secret is minted from. `Debug` leaves the private key out.
pub struct AppleKey<'a> {
    pub client_id: &'a str,
    pub key_id: &'a str,
    pub team_id: &'a str,
    pub private_key_pem: &'a str,
}

impl std::fmt::Debug for AppleKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppleKey")
            .field("client_id", &self.client_id)
            .field("key_id", &self.key_id)
            .field("team_id", &self.team_id)
            .finish_non_exhaustive()
    }
}

impl<'a> AppleKey<'a> {
    /// The key settings of a client's `additionalConfig`.
    pub fn from_config(
        client_id: &'a str,
        additional: &'a Map<String, Value>,
    ) -> Result<Self, AppleSecretError> {
        let get = |k: &'static str| {
            additional
                .get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .ok_or(AppleSecretError::Missing(k))
        };
        Ok(AppleKey {
            client_id,
            key_id: get("keyId")?,
            team_id: get("teamId")?,
            private_key_pem: get("privateKey")?,
        })
    }

    /// The cache key: every input of the secret, the private key only by its hash.
    fn cache_key(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.client_id,
            self.key_id,
            self.team_id,
            self.private_key_pem,
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        URL_SAFE_NO_PAD.encode(h.finalize())
    }
}

/// The DER inside a PEM. Configuration often holds the PEM on one line with `\n` written out (as
/// supertokens-node accepts): those are read as line breaks.
fn pem_der(pem: &str) -> Option<Vec<u8>> {
    let text = pem.replace("\\n", "\n");
    let body: String = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect();
    STANDARD.decode(body).ok()
}

/// Mints one secret valid from `now_s`.
pub fn mint(key: &AppleKey<'_>, now_s: i64) -> Result<String, AppleSecretError> {
    let der = pem_der(key.private_key_pem).ok_or(AppleSecretError::BadKey)?;
    let rng = SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng)
        .map_err(|_| AppleSecretError::BadKey)?;
    let header = json!({"alg": "ES256", "kid": key.key_id, "typ": "JWT"});
    let claims = json!({
        "iss": key.team_id,
        "iat": now_s,
        "exp": now_s + LIFETIME_S,
        "aud": AUDIENCE,
        "sub": key.client_id,
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = pair
        .sign(&rng, input.as_bytes())
        .map_err(|_| AppleSecretError::Signing)?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref())))
}

struct Minted {
    secret: String,
    expires_s: i64,
}

/// Minted secrets by client and key; `minted()` counts signatures (tests check the cache with it).
#[derive(Default)]
pub struct SecretCache {
    entries: Mutex<HashMap<String, Minted>>,
    minted: std::sync::atomic::AtomicU64,
}

impl SecretCache {
    /// The cached secret for `key`, or a new one when there is none or it is about to expire.
    pub fn get(&self, key: &AppleKey<'_>, now_s: i64) -> Result<String, AppleSecretError> {
        let id = key.cache_key();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = entries.get(&id) {
            if now_s < m.expires_s - RENEW_BEFORE_S {
                return Ok(m.secret.clone());
            }
        }
        let secret = mint(key, now_s)?;
        self.minted
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        entries.insert(
            id,
            Minted {
                secret: secret.clone(),
                expires_s: now_s + LIFETIME_S,
            },
        );
        Ok(secret)
    }

    pub fn minted(&self) -> u64 {
        self.minted.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

    fn test_pem() -> (String, Vec<u8>) {
        let rng = SystemRandom::new();
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref(), &rng)
            .expect("pair");
        let b64 = STANDARD.encode(doc.as_ref());
        let pem = format!("-----BEGIN PRIVATE KEY-----\\n{b64}\\n-----END PRIVATE KEY-----\\n");
        (pem, pair.public_key().as_ref().to_vec())
    }

    #[test]
    fn a_minted_secret_verifies_and_carries_apples_claims_and_is_cached_until_near_expiry() {
        let (pem, public) = test_pem();
        let key = AppleKey {
            client_id: "com.example.signin",
            key_id: "KID",
            team_id: "TEAM",
            private_key_pem: &pem,
        };
        let cache = SecretCache::default();
        let s = cache.get(&key, 1_000).expect("mint");
        let parts: Vec<&str> = s.split('.').collect();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(claims["iss"], "TEAM");
        assert_eq!(claims["sub"], "com.example.signin");
        assert_eq!(claims["aud"], AUDIENCE);
        assert_eq!(claims["exp"], 1_000 + LIFETIME_S);
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).expect("sig");
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public)
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .expect("verifies");
        assert_eq!(cache.get(&key, 2_000).expect("cached"), s);
        assert_eq!(cache.minted(), 1);
        let later = 1_000 + LIFETIME_S - RENEW_BEFORE_S;
        assert_ne!(cache.get(&key, later).expect("renewed"), s);
        assert_eq!(cache.minted(), 2);
        let bad = AppleKey {
            private_key_pem: "not a key",
            ..key
        };
        assert_eq!(mint(&bad, 0), Err(AppleSecretError::BadKey));
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }
}
