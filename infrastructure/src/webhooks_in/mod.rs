//! Webhooks in (SPEC.md section 5): the three signature schemes, the JMESPath reading of carrier
//! payloads, and the settings of every configured inbound webhook compiled once per config
//! version (the `InboundWebhooks` port is the config catalog, which holds them).

mod schemes;
mod settings;
mod tracking;

pub use schemes::{Scheme, sign_easypost, sign_standard, sign_wss};
pub use settings::InboundSettings;
pub use tracking::TrackingSettings;
pub(crate) use tracking::{compile as compile_jmespath, mapped_status};
