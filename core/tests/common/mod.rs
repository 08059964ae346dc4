//! Shared test support: the scenario runner (reference implementation of tests/scenarios/README.md).

#![allow(dead_code)]

pub mod invariants;
pub mod matcher;
pub mod runner;

use std::path::PathBuf;

pub fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios")
}
