//! id_token verification: a JWS in compact form, signed by a key of the provider's JWKS, then its claims.
//!
//! Stricter than supertokens-node (which checks the signature and the audience): only asymmetric algorithms
//! from an allow-list, so neither `none` nor an HMAC keyed with the provider's public key can pass; the key
//! must fit the algorithm (type, curve, its own `alg` and `use` when it states them); `crit` is refused since
//! no extension is understood; then `iss`, `aud`, `azp`, `exp`, `nbf`, `iat` and `nonce`. Each failure has a
//! reason code a caller can act on (`IdTokenInvalid.reason`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::Deserialize;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

/// The algorithms accepted by default: asymmetric, and the ones providers use.
pub const DEFAULT_ALGORITHMS: &[&str] = &["RS256", "PS256", "ES256", "EdDSA"];

/// Why an id_token was refused; the code is the `reason` of `ID_TOKEN_INVALID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Malformed,
    Alg,
    Kid,
    Signature,
    Iss,
    Aud,
    Azp,
    Exp,
    Nbf,
    Iat,
    Nonce,
}

impl Failure {
    pub fn code(self) -> &'static str {
        match self {
            Failure::Malformed => "malformed",
            Failure::Alg => "alg",
            Failure::Kid => "kid",
            Failure::Signature => "signature",
            Failure::Iss => "iss",
            Failure::Aud => "aud",
            Failure::Azp => "azp",
            Failure::Exp => "exp",
            Failure::Nbf => "nbf",
            Failure::Iat => "iat",
            Failure::Nonce => "nonce",
        }
    }
}

/// One key of a JWKS, decoded once when the set is fetched.
#[derive(Debug, Clone)]
pub struct Jwk {
    pub kid: Option<String>,
    alg: Option<String>,
    key: KeyMaterial,
}

#[derive(Debug, Clone)]
enum KeyMaterial {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    P256 { point: Vec<u8> },
    Ed25519 { x: Vec<u8> },
}

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    n: Option<String>,
    e: Option<String>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

fn b64(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

/// The usable signing keys of a JWKS document; keys of other types, or for encryption, are skipped.
pub fn parse_jwks(doc: &Value) -> Option<Vec<Jwk>> {
    let keys = doc.get("keys")?.as_array()?;
    Some(
        keys.iter()
            .filter_map(|k| serde_json::from_value::<RawJwk>(k.clone()).ok())
            .filter(|k| k.use_.as_deref().is_none_or(|u| u == "sig"))
            .filter_map(|k| {
                let key = match (k.kty.as_str(), k.crv.as_deref()) {
                    ("RSA", _) => KeyMaterial::Rsa {
                        n: b64(k.n.as_deref()?)?,
                        e: b64(k.e.as_deref()?)?,
                    },
                    ("EC", Some("P-256")) => {
                        let (x, y) = (b64(k.x.as_deref()?)?, b64(k.y.as_deref()?)?);
                        if x.len() != 32 || y.len() != 32 {
                            return None;
                        }
                        let mut point = Vec::with_capacity(65);
                        point.push(4);
                        point.extend_from_slice(&x);
                        point.extend_from_slice(&y);
                        KeyMaterial::P256 { point }
                    }
                    ("OKP", Some("Ed25519")) => KeyMaterial::Ed25519 {
                        x: b64(k.x.as_deref()?)?,
                    },
                    _ => return None,
                };
                Some(Jwk {
                    kid: k.kid,
                    alg: k.alg,
                    key,
                })
            })
            .collect(),
    )
}

/// A token split and decoded, before any check.
pub struct Parsed<'a> {
    pub alg: String,
    pub kid: Option<String>,
    pub claims: Map<String, Value>,
    signing_input: &'a str,
    signature: Vec<u8>,
}

/// Splits and decodes a compact JWS; a token that is not exactly that is `Malformed`.
pub fn parse(token: &str) -> Result<Parsed<'_>, Failure> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Failure::Malformed);
    };
    let header: Map<String, Value> = b64(h)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(Failure::Malformed)?;
    let claims: Map<String, Value> = b64(p)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(Failure::Malformed)?;
    let signature = b64(s).ok_or(Failure::Malformed)?;
    if header.contains_key("crit") {
        return Err(Failure::Malformed);
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(Failure::Alg)?
        .to_string();
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(Failure::Malformed),
    };
    Ok(Parsed {
        alg,
        kid,
        claims,
        signing_input: &token[..h.len() + 1 + p.len()],
        signature,
    })
}

impl Parsed<'_> {
    /// The key of `keys` this token names: by `kid`, or the only key that fits the algorithm when the token
    /// names none. `Kid` when there is none (the caller may refetch the set once).
    pub fn select<'k>(&self, keys: &'k [Jwk]) -> Result<&'k Jwk, Failure> {
        let fits = |k: &&Jwk| key_fits(k, &self.alg);
        match &self.kid {
            Some(kid) => keys
                .iter()
                .filter(|k| k.kid.as_deref() == Some(kid))
                .find(fits)
                .ok_or(Failure::Kid),
            None => {
                let mut it = keys.iter().filter(fits);
                match (it.next(), it.next()) {
                    (Some(k), None) => Ok(k),
                    _ => Err(Failure::Kid),
                }
            }
        }
    }

    /// Checks the algorithm against `allowed` and the signature against `key`.
    pub fn verify(&self, key: &Jwk, allowed: &[String]) -> Result<(), Failure> {
        if !allowed.iter().any(|a| a == &self.alg) || !key_fits(key, &self.alg) {
            return Err(Failure::Alg);
        }
        let msg = self.signing_input.as_bytes();
        let sig = &self.signature;
        let ok = match (&key.key, self.alg.as_str()) {
            (KeyMaterial::Rsa { n, e }, "RS256") => RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, msg, sig)
                .is_ok(),
            (KeyMaterial::Rsa { n, e }, "RS384") => RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA384, msg, sig)
                .is_ok(),
            (KeyMaterial::Rsa { n, e }, "RS512") => RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA512, msg, sig)
                .is_ok(),
            (KeyMaterial::Rsa { n, e }, "PS256") => RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PSS_2048_8192_SHA256, msg, sig)
                .is_ok(),
            (KeyMaterial::P256 { point }, "ES256") => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(msg, sig)
                    .is_ok()
            }
            (KeyMaterial::Ed25519 { x }, "EdDSA") => UnparsedPublicKey::new(&signature::ED25519, x)
                .verify(msg, sig)
                .is_ok(),
            _ => return Err(Failure::Alg),
        };
        if ok {
            Ok(())
        } else {
            Err(Failure::Signature)
        }
    }
}

fn key_fits(key: &Jwk, alg: &str) -> bool {
    if key.alg.as_deref().is_some_and(|a| a != alg) {
        return false;
    }
    matches!(
        (&key.key, alg),
        (
            KeyMaterial::Rsa { .. },
            "RS256" | "RS384" | "RS512" | "PS256"
        ) | (KeyMaterial::P256 { .. }, "ES256")
            | (KeyMaterial::Ed25519 { .. }, "EdDSA")
    )
}

/// What the claims must say.
pub struct ClaimChecks<'a> {
    /// `None`: the issuer is not checked. `{tenantid}` in it is filled from the token's `tid` (Microsoft).
    pub issuer: Option<&'a str>,
    /// The client ids the token may be for; empty: the audience is not checked.
    pub audiences: &'a [String],
    pub check_azp: bool,
    pub check_times: bool,
    pub nonce: Option<&'a str>,
    pub now_s: i64,
    pub leeway_s: i64,
}

fn num(claims: &Map<String, Value>, key: &str) -> Result<Option<i64>, Failure> {
    match claims.get(key) {
        None => Ok(None),
        Some(v) => v.as_f64().map(|f| Some(f as i64)).ok_or(Failure::Malformed),
    }
}

/// Checks the claims of a token whose signature was verified.
pub fn check_claims(claims: &Map<String, Value>, c: &ClaimChecks<'_>) -> Result<(), Failure> {
    if let Some(expected) = c.issuer {
        let expected = match claims.get("tid").and_then(Value::as_str) {
            Some(tid) if expected.contains("{tenantid}") => expected.replace("{tenantid}", tid),
            _ => expected.to_string(),
        };
        if claims.get("iss").and_then(Value::as_str) != Some(expected.as_str())
            || expected.contains("{tenantid}")
        {
            return Err(Failure::Iss);
        }
    }
    if !c.audiences.is_empty() {
        let aud: Vec<&str> = match claims.get("aud") {
            Some(Value::String(a)) => vec![a.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let allowed = |a: &str| c.audiences.iter().any(|x| x == a);
        if !aud.iter().any(|a| allowed(a)) {
            return Err(Failure::Aud);
        }
        if c.check_azp {
            match claims.get("azp").and_then(Value::as_str) {
                Some(azp) if !allowed(azp) => return Err(Failure::Azp),
                None if aud.len() > 1 => return Err(Failure::Azp),
                _ => {}
            }
        }
    }
    if c.check_times {
        let exp = num(claims, "exp")?.ok_or(Failure::Exp)?;
        if c.now_s > exp.saturating_add(c.leeway_s) {
            return Err(Failure::Exp);
        }
        if num(claims, "nbf")?.is_some_and(|nbf| nbf > c.now_s.saturating_add(c.leeway_s)) {
            return Err(Failure::Nbf);
        }
        if num(claims, "iat")?.is_some_and(|iat| iat > c.now_s.saturating_add(c.leeway_s)) {
            return Err(Failure::Iat);
        }
    }
    if let Some(expected) = c.nonce {
        let got = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
        if !bool::from(got.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(Failure::Nonce);
        }
    }
    Ok(())
}
