//! `_native._bench_direct`: the same operations called from Rust in the same process, without Python in the
//! loop, so `scripts/bench-python` can report the binding's overhead against the core itself. Not public API.
//!
//! `_bench_baseline_open` / `_BenchBaseline` run the raw-rusqlite baseline of the `signInUpPOST` rows (the shared
//! `authcore-bench-baseline` crate, the SQL `scripts/bench` measures the core against) in this process, and
//! `_bench_same_work` compares an engine file with a baseline file after a loop.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use authcore_bench_baseline::{same_work, ApiBaseline, ApiRow};

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

/// Adds the benchmark aids to the module (private names: not in `__all__`).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_bench_direct, m)?)?;
    m.add_function(wrap_pyfunction!(_bench_baseline_open, m)?)?;
    m.add_function(wrap_pyfunction!(_bench_same_work, m)?)?;
    m.add_class::<BenchBaseline>()?;
    Ok(())
}

/// The baseline side of the `signInUpPOST` rows on one file. (The mutex only makes the connection shareable
/// with Python's threads; the benchmark uses it from one.)
#[pyclass(name = "_BenchBaseline", frozen)]
pub struct BenchBaseline(Mutex<ApiBaseline>);

impl BenchBaseline {
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&ApiBaseline) -> T + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let base = self
                .0
                .lock()
                .map_err(|_| PyValueError::new_err("the baseline failed earlier"))?;
            Ok(f(&base))
        })
    }
}

#[pymethods]
impl BenchBaseline {
    /// Untimed setup of `api-autolink`: the `n` verified github primaries its sign-ups link into.
    fn setup(&self, py: Python<'_>, n: usize) -> PyResult<()> {
        self.with(py, |b| b.setup_primaries(n))
    }

    /// Runs operations `start..stop` of `row` (`api-signup`, `api-signin`, `api-autolink`), one transaction each;
    /// returns the seconds taken.
    fn run(&self, py: Python<'_>, row: &str, start: usize, stop: usize) -> PyResult<f64> {
        let row = ApiRow::parse(row)
            .ok_or_else(|| PyValueError::new_err(format!("unknown benchmark row '{row}'")))?;
        self.with(py, |b| b.run(row, start..stop).as_secs_f64())
    }
}

/// Creates a baseline file at `database` (the engine's schema) and opens it with the engine's pragmas.
#[pyfunction]
pub fn _bench_baseline_open(py: Python<'_>, database: PathBuf) -> BenchBaseline {
    BenchBaseline(Mutex::new(py.detach(|| ApiBaseline::open(&database))))
}

/// The row counts of the engine file (`{"recipe_users": n, "sessions": n, ...}`) when the baseline file holds
/// the same ones; `ValueError` naming the counts that differ otherwise.
#[pyfunction]
pub fn _bench_same_work(
    py: Python<'_>,
    engine: PathBuf,
    baseline: PathBuf,
) -> PyResult<std::collections::BTreeMap<String, i64>> {
    py.detach(|| same_work(&engine, &baseline))
        .map(|counts| {
            counts
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect()
        })
        .map_err(PyValueError::new_err)
}
