//! Logging: human-readable by default, JSON lines with `--log-format json`.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, fmt::MakeWriter, prelude::*};

/// What is logged unless `RUST_LOG` says otherwise. The SQL layers stay at `warn`: their debug
/// lines carry statement parameters, which include stored config documents and their secrets.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,tower_http=info";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Logs go to stderr so that stdout carries only what a command prints for the user.
pub fn init(format: LogFormat) {
    init_with_writer(format, std::io::stderr, std::io::stderr().is_terminal());
}

/// `init` with another destination (the tests capture every line to check it for secrets).
pub fn init_with_writer<W>(format: LogFormat, writer: W, ansi: bool)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let registry = tracing_subscriber::registry().with(filter);
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = match format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(writer),
            )
            .try_init(),
        LogFormat::Text => registry.with(fmt::layer().with_ansi(ansi).with_writer(writer)).try_init(),
    };
}
