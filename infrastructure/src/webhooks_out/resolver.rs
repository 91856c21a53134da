//! The DNS resolver of the webhook client: it hands the connector only addresses that passed
//! the address guard.
//!
//! Checking a name's addresses and then letting the client resolve it again would leave a gap
//! in which the name could start pointing elsewhere (DNS rebinding). Filtering inside the
//! resolver closes it: the connector can only dial an address that was checked.

use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::address_guard::is_public;

/// Why a name was refused; the transport finds it in the error chain to tell a refused target
/// from a failed connection.
#[derive(Debug, thiserror::Error)]
#[error("{host} is not a public address; nothing was sent")]
pub struct AddressRefused {
    pub host: String,
}

#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            // Port 0: the connector puts in the URL's port (or the scheme's).
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if resolved.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            let usable: Vec<SocketAddr> =
                resolved.into_iter().filter(|addr| allow_private || is_public(addr.ip())).collect();
            if usable.is_empty() {
                return Err(Box::new(AddressRefused { host }) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(usable.into_iter()) as Addrs)
        })
    }
}
