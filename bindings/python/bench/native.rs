//! `_native._bench_direct`: the same operations called from Rust in the same process, without Python in the
//! loop, so `scripts/bench-python` can report the binding's overhead against the core itself. Not public API.

use std::path::PathBuf;
use std::time::Instant;

use authcore::{AuthCore, AuthCoreConfig, EmailInput, SignInUpInput, UserContext};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::error::to_pyerr;
use crate::runtime::block_on;

fn input(prefix: &str, i: usize) -> SignInUpInput {
    SignInUpInput {
        tenant_id: "public".into(),
        third_party_id: "google".into(),
        third_party_user_id: format!("{prefix}{i}"),
        email: EmailInput {
            id: format!("{prefix}{i}@example.com"),
            is_verified: true,
        },
    }
}

/// Runs `op` `n` times directly on the core (a fresh engine on `database`); returns the seconds taken.
/// `op`: "get_user" (an unknown id), "sign_up" (new users `<prefix><i>`), "sign_in" (the same users again).
#[pyfunction]
#[pyo3(signature = (database, op, n, prefix = None))]
pub fn _bench_direct(
    py: Python<'_>,
    database: PathBuf,
    op: String,
    n: usize,
    prefix: Option<String>,
) -> PyResult<f64> {
    let prefix = prefix.unwrap_or_else(|| "u".to_string());
    let r = py.detach(move || -> authcore::Result<Option<f64>> {
        let auth = AuthCore::open_sqlite(&database, AuthCoreConfig::default())?;
        let start = Instant::now();
        match op.as_str() {
            "get_user" => {
                for _ in 0..n {
                    let u = block_on(auth.get_user("unknown-user-id", &UserContext::new()))?;
                    assert!(u.is_none());
                }
            }
            "sign_up" | "sign_in" => {
                for i in 0..n {
                    block_on(auth.sign_in_up(&input(&prefix, i), &UserContext::new()))?;
                }
            }
            _ => return Ok(None),
        }
        Ok(Some(start.elapsed().as_secs_f64()))
    });
    match r {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(PyValueError::new_err(
            "op must be get_user, sign_up or sign_in",
        )),
        Err(e) => Err(to_pyerr(py, e)),
    }
}
