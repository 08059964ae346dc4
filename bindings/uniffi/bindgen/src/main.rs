//! `cargo run --release -p uniffi-bindgen -- generate --library target/release/libauthcore_uniffi.so ...`
fn main() {
    uniffi::uniffi_bindgen_main()
}
