/// Why the bus could not be set up. No variant's text holds the URL's password.
#[derive(Debug, thiserror::Error)]
pub enum RedisBusError {
    #[error("invalid Redis URL {url}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("invalid event bus options: {0}")]
    InvalidOptions(String),
    #[error("cannot reach Redis at {url}: {reason}")]
    Unreachable { url: String, reason: String },
}
