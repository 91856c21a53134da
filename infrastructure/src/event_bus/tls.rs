use redis::ConnectionAddr;

/// redis builds its rustls config from the process-wide crypto provider, and rustls cannot pick
/// one itself here because two are compiled in (ring through sqlx, aws-lc-rs through reqwest).
/// So a `rediss://` URL installs aws-lc-rs, reqwest's choice, unless something already did.
pub(super) fn prepare_tls(address: &ConnectionAddr) {
    if matches!(address, ConnectionAddr::TcpTls { .. }) {
        // An error only says a provider is installed already, which is what we need.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
}
