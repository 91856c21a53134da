//! jsonwebtoken 10+ delegates signatures to a process-wide crypto provider.

/// Installs jsonwebtoken's RustCrypto provider for this process. Call once at start-up (the
/// binary) or at the top of a test; calling it again, or after another provider was installed,
/// is harmless.
///
/// With exactly one backend feature jsonwebtoken would pick it by itself, but a second crate
/// enabling `aws_lc_rs` somewhere in the dependency graph would turn that into a panic on the
/// first token; installing explicitly keeps verification working whatever the graph.
pub fn install_crypto_provider() {
    // Err only says a provider is already installed, which is the state we want.
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
}
