//! Builds the running application from a database and a SaaS configuration.

use std::{future::Future, net::SocketAddr, sync::Arc};

use application::{
    audit_log::AuditTrail,
    orders::Orders,
    platform::Platform,
    ports::{SystemClock, UuidV7Ids},
    session::Session,
};
use axum::Router;
use infrastructure::{
    config::{ConfigCatalog, SaasConfig},
    identity::JwtVerifier,
    persistence::Database,
};
use interfaces::{
    Services,
    http::{HttpConfig, router},
};
use tokio::net::TcpListener;

/// Everything a server needs, already connected and migrated.
pub struct App {
    pub router: Router,
    pub catalog: Arc<ConfigCatalog>,
}

pub fn build(database: &Database, config: SaasConfig, http: HttpConfig) -> anyhow::Result<App> {
    let catalog = Arc::new(ConfigCatalog::new(config));
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| anyhow::anyhow!("cannot build the HTTP client: {e}"))?;
    let verifier = Arc::new(JwtVerifier::new(catalog.clone(), client));
    let audit_log = database.audit_log();
    let orders = Arc::new(Orders::new(
        database.order_store(),
        catalog.clone(),
        audit_log.clone(),
        Arc::new(SystemClock),
        Arc::new(UuidV7Ids),
    ));
    let session = Arc::new(Session::new(catalog.clone()));
    let audit = Arc::new(AuditTrail::new(catalog.clone(), audit_log));
    let platform = Arc::new(Platform::new(catalog.clone()));
    let services = Services { orders, session, audit, platform, verifier };
    Ok(App { router: router(services, http), catalog })
}

/// Connects, migrates, and returns the database.
pub async fn open_database(url: &str) -> anyhow::Result<Database> {
    let database = Database::connect(url).await.map_err(|e| anyhow::anyhow!("cannot open database: {e}"))?;
    database.migrate().await.map_err(|e| anyhow::anyhow!("cannot migrate database: {e}"))?;
    Ok(database)
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
