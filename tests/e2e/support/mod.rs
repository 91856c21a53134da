//! Test harness: `TestApp::spawn()` starts the application on port 0 with its own database.

pub mod create_load;
pub mod events;
pub mod fake_easypost;
mod jwks;
mod ops;
pub mod process;
pub mod receiver;
mod tokens;
pub mod ws;

use std::{
    net::SocketAddr,
    sync::{Arc, Once},
};

use infrastructure::{config::SaasConfig, persistence::Database};
use interfaces::{graphql::live_events::LiveEvents, http::HttpConfig};
use serde_json::{Value, json};
use tenant_oms::app;

pub use jwks::sign_rs256;
pub use ops::{line, line_in, mutation_doc as ops_doc, order_input};
pub use tokens::{Claims, hs256_with_public_key, sign_es256 as tokens_es256, unsigned};

pub const TENANT_A: &str = "tenant_a";
pub const TENANT_B: &str = "tenant_b";
/// Shares tenant A's IdP (one Keycloak, several organizations) and does not auto-confirm.
pub const TENANT_P: &str = "tenant_p";
pub const SUSPENDED: &str = "tenant_s";
/// On the `basic` plan: reads and creates orders, nothing else.
pub const BASIC: &str = "tenant_basic";
/// Configures its own roles: `viewer` may only read, `boss` has everything.
pub const ROLES: &str = "tenant_roles";
/// On a plan allowing 5 orders a month.
pub const QUOTA: &str = "tenant_quota";
/// On a plan allowing 5 requests a minute and queries of complexity 40 at most.
pub const TIGHT: &str = "tenant_tight";
/// Refund terms: 10 % restocking fee, at most 150.00 per refund.
pub const REFUND_150: &str = "tenant_refund150";
/// Refund terms: 10 % restocking fee, at most 500.00 per refund.
pub const REFUND_500: &str = "tenant_refund500";
/// Inbound webhooks: add-order signed the seed's way (`wss`), carrier reports the Standard
/// Webhooks way.
pub const HOOKS_WSS: &str = "tenant_hooks_wss";
/// Inbound webhooks: add-order and carrier reports signed the EasyPost way.
pub const HOOKS_EP: &str = "tenant_hooks_ep";

/// Every secret in the test config: none may ever appear in a response, log or audit record.
pub const SECRETS: &[&str] = &[
    "provider-tracker-secret-0123456789abcdef",
    "tenant-a-add-order-secret-0123456789abcdef",
    "tenant-a-carrier-api-key-0123456789abcdef",
    "tenant-dev-hs256-secret-0123456789abcdef",
    "tenant-wss-add-order-secret-0123456789abcdef",
    "whsec_dGVuYW50LXdzcy10cmFja2VyLWtleS0wMTIzNDU2Nzg5YWJjZGVm",
    "tenant-ep-add-order-secret-0123456789abcdef",
    "tenant-ep-tracker-secret-0123456789abcdef",
];

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub jwks: jwks::JwksServer,
    pub database: Database,
    pub location: DatabaseLocation,
    /// How this app's events leave it; later instances get the same.
    pub events: app::EventsSettings,
    /// The app's live event hub: a test may `observe` events on it directly.
    pub live_events: Arc<LiveEvents>,
    _db_dir: Option<tempfile::TempDir>,
}

static INIT: Once = Once::new();

/// Every log line of this test binary, as JSON lines (`TEST_LOG=1` also prints them).
static LOG: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct CapturedLog;

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        if std::env::var_os("TEST_LOG").is_some() {
            std::io::stderr().write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged so far by every test of this binary.
pub fn captured_log() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

fn init() {
    INIT.call_once(|| {
        infrastructure::identity::install_crypto_provider();
        tenant_oms::telemetry::init_with_writer(tenant_oms::telemetry::LogFormat::Json, || CapturedLog, false);
    });
}

/// Where a test's database is, as a server process is told it.
#[derive(Debug, Clone)]
pub struct DatabaseLocation {
    pub url: String,
    /// PostgreSQL: the test's own schema.
    pub schema: Option<String>,
}

/// The key that seals the tests' stored secrets (bytes 0..32), given to in-process instances
/// and, as `OMS_SECRET_KEY`, to the server processes tests start on the same database.
pub const TEST_SECRET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// A fresh database: PostgreSQL schema when TEST_DATABASE_URL is set, else a SQLite file;
/// secrets sealed under `TEST_SECRET_KEY`.
async fn fresh_database() -> (Database, Option<tempfile::TempDir>, DatabaseLocation) {
    let (database, dir, location) = fresh_unsealed_database().await;
    let key = infrastructure::secrets::SecretKey::from_base64(TEST_SECRET_KEY, "TEST_SECRET_KEY").expect("test key");
    let database = app::use_secret_key(database, &key, &infrastructure::secrets::KeySource::Environment)
        .await
        .expect("the test key seals the stored secrets");
    (database, dir, location)
}

async fn fresh_unsealed_database() -> (Database, Option<tempfile::TempDir>, DatabaseLocation) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) => {
            let schema = format!("e2e_{}", uuid::Uuid::new_v4().simple());
            let db = Database::connect_in_schema(&url, &schema)
                .await
                .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but unusable: {e}"));
            db.migrate().await.expect("migrations");
            (db, None, DatabaseLocation { url, schema: Some(schema) })
        }
        Err(_) => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("oms.db").display());
            let db = Database::connect(&url).await.expect("sqlite database");
            db.migrate().await.expect("migrations");
            (db, Some(dir), DatabaseLocation { url, schema: None })
        }
    }
}

pub fn saas_config(jwks_base: &str) -> SaasConfig {
    SaasConfig::from_json_str(&saas_config_json(jwks_base).to_string()).expect("test SaaS config")
}

/// The test SaaS config as JSON, as a config file would hold it.
pub fn saas_config_json(jwks_base: &str) -> Value {
    let all_permissions: Vec<&str> = infrastructure::config::tenant_permissions().collect();
    let shared_idp = json!({
        "issuer": format!("{jwks_base}/realms/shared"),
        "audience": "oms",
        "algorithms": ["RS256"],
        "jwks_uri": format!("{jwks_base}/jwks.json"),
        "tenant_claim": "organization",
        "roles_claim": "roles"
    });
    let config = json!({
        "provider": {
            "idp": {"issuer": format!("{jwks_base}/realms/provider"), "audience": "oms-admin", "algorithms": ["RS256"],
                    "jwks_uri": format!("{jwks_base}/provider-jwks.json"), "roles_claim": "roles"},
            "admin_role": "saas_admin",
            "webhooks": {"shipment_tracker": {"provider": "easypost", "shared_secret": SECRETS[0], "max_age_seconds": 300,
                                              "tracking_reference_jmespath": "result.tracking_code",
                                              "status_jmespath": "result.status",
                                              "carrier_shipment_id_jmespath": "result.shipment_id",
                                              "status_map": {"in_transit": "IN_TRANSIT", "delivered": "DELIVERED"}}}
        },
        "plans": {
            "standard": {"permissions": all_permissions,
                          "limits": {"orders_per_month": 100000, "requests_per_minute": 100000, "max_query_complexity": 5000}},
            "basic": {"permissions": ["order:read", "order:create"]},
            "quota5": {"permissions": all_permissions, "limits": {"orders_per_month": 5}},
            "tight": {"permissions": all_permissions, "limits": {"requests_per_minute": 5, "max_query_complexity": 40}}
        },
        "tenants": {
            TENANT_A: {"plan": "standard", "status": "active", "idp": shared_idp,
                       "webhooks": {"add_order": {"provider": "standard", "shared_secret": SECRETS[1], "max_age_seconds": 300}},
                       "create_shipment_api": {"provider": "easypost", "api_key": SECRETS[2], "endpoint": "https://carrier.example/v2"}},
            "tenant_dev": {"plan": "standard", "status": "active", "idp": {
                "issuer": "tenant-dev", "audience": "oms-dev", "algorithms": ["HS256"], "hs256_secret": SECRETS[3]}},
            TENANT_P: {"plan": "standard", "status": "active", "idp": shared_idp,
                       "tenant_config": {"auto_confirm_orders": false}},
            SUSPENDED: {"plan": "standard", "status": "suspended", "idp": shared_idp},
            BASIC: {"plan": "basic", "status": "active", "idp": shared_idp},
            QUOTA: {"plan": "quota5", "status": "active", "idp": shared_idp},
            TIGHT: {"plan": "tight", "status": "active", "idp": shared_idp},
            REFUND_150: {"plan": "standard", "status": "active", "idp": shared_idp,
                         "tenant_config": {"restocking_fee_percent": 10, "max_refund_amount": "150.00"}},
            REFUND_500: {"plan": "standard", "status": "active", "idp": shared_idp,
                         "tenant_config": {"restocking_fee_percent": 10, "max_refund_amount": "500.00"}},
            HOOKS_WSS: {"plan": "standard", "status": "active", "idp": shared_idp, "webhooks": {
                "add_order": {"provider": "wss", "shared_secret": SECRETS[4], "max_age_seconds": 300},
                "shipment_tracker": {"provider": "standard", "shared_secret": SECRETS[5], "max_age_seconds": 300,
                                     "tracking_reference_jmespath": "result.tracking_code || data.tracking_code",
                                     "status_jmespath": "result.status || data.status",
                                     "status_map": {"in_transit": "IN_TRANSIT", "delivered": "DELIVERED"}}}},
            HOOKS_EP: {"plan": "standard", "status": "active", "idp": shared_idp, "webhooks": {
                "add_order": {"provider": "easypost", "shared_secret": SECRETS[6]},
                "shipment_tracker": {"provider": "easypost", "shared_secret": SECRETS[7],
                                     "tracking_reference_jmespath": "result.tracking_code || data.tracking_code",
                                     "status_jmespath": "result.status || data.status",
                                     "status_map": {"in_transit": "IN_TRANSIT", "delivered": "DELIVERED"}}}},
            ROLES: {"plan": "standard", "status": "active", "idp": shared_idp,
                    "tenant_config": {"roles": {"viewer": ["order:read"], "boss": ["*"]}}},
            TENANT_B: {"plan": "standard", "status": "active", "idp": {
                "issuer": "https://idp.tenant-b.example",
                "audience": "oms-b",
                "algorithms": ["ES256"],
                "public_key_pem": include_str!("../../fixtures/tenant_b_ec.pub.pem"),
                "tenant_claim": "tenant",
                "roles_claim": "roles"
            }}
        }
    });
    config
}

async fn serve(
    database: &Database,
    config: app::ConfigSource,
    http: HttpConfig,
    events: app::EventsSettings,
) -> (SocketAddr, Arc<LiveEvents>) {
    let built = app::build_with(database, config, http, events).await.expect("app");
    let live_events = built.live_events.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(app::serve(listener, built, std::future::pending()));
    (addr, live_events)
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Like `spawn`, with the HTTP settings changed by `configure`.
    pub async fn spawn_with(configure: impl FnOnce(&mut HttpConfig)) -> TestApp {
        Self::spawn_full(configure, app::EventsSettings::default()).await
    }

    /// Like `spawn`, with the event settings given (e.g. private webhook URLs allowed, so a
    /// receiver on loopback can be used).
    pub async fn spawn_events(events: app::EventsSettings) -> TestApp {
        Self::spawn_full(|_| {}, events).await
    }

    async fn spawn_full(configure: impl FnOnce(&mut HttpConfig), events: app::EventsSettings) -> TestApp {
        Self::spawn_configured(configure, events, |_| {}).await
    }

    /// Like `spawn_with`, on the test SaaS config as changed by `edit` (given the config as JSON).
    pub async fn spawn_with_config(configure: impl FnOnce(&mut HttpConfig), edit: impl FnOnce(&mut Value)) -> TestApp {
        Self::spawn_configured(configure, app::EventsSettings::default(), edit).await
    }

    /// Like `spawn_full`, with the test SaaS config (as JSON) changed by `edit` first (e.g. a
    /// tenant's carrier API pointed at a fake carrier on loopback).
    pub async fn spawn_configured(
        configure: impl FnOnce(&mut HttpConfig),
        events: app::EventsSettings,
        edit: impl FnOnce(&mut Value),
    ) -> TestApp {
        init();
        let jwks = jwks::JwksServer::start().await;
        let (database, db_dir, location) = fresh_database().await;
        let mut json = saas_config_json(&jwks.base_url());
        edit(&mut json);
        let config = app::ConfigSource::Seed(SaasConfig::from_json_str(&json.to_string()).expect("test SaaS config"));
        let mut http = HttpConfig::default();
        configure(&mut http);
        let (addr, live_events) = serve(&database, config, http, events.clone()).await;
        TestApp { addr, client: reqwest::Client::new(), jwks, database, location, events, live_events, _db_dir: db_dir }
    }

    /// Another instance of the service on the same database, started without a config file
    /// (it serves the stored config), as a second process behind a load balancer would be.
    pub async fn second_instance(&self) -> TestApp {
        self.instance_with(app::ConfigSource::Stored).await
    }

    /// Another instance on the same database, started with `source` as its config.
    pub async fn instance_with(&self, source: app::ConfigSource) -> TestApp {
        let (addr, live_events) = serve(&self.database, source, HttpConfig::default(), self.events.clone()).await;
        TestApp {
            addr,
            client: reqwest::Client::new(),
            jwks: self.jwks.clone(),
            database: self.database.clone(),
            location: self.location.clone(),
            events: self.events.clone(),
            live_events,
            _db_dir: None,
        }
    }

    /// Another instance on a handle of its own on the same database (e.g. one with another
    /// secret key), serving the stored config.
    pub async fn instance_on(&self, database: Database) -> TestApp {
        let (addr, live_events) =
            serve(&database, app::ConfigSource::Stored, HttpConfig::default(), self.events.clone()).await;
        TestApp {
            addr,
            client: reqwest::Client::new(),
            jwks: self.jwks.clone(),
            database,
            location: self.location.clone(),
            events: self.events.clone(),
            live_events,
            _db_dir: None,
        }
    }

    /// What the test's database occupies on disk, in bytes.
    pub async fn database_bytes(&self) -> u64 {
        match &self._db_dir {
            Some(dir) => std::fs::read_dir(dir.path())
                .expect("database dir")
                .filter_map(|entry| entry.ok()?.metadata().ok())
                .map(|metadata| metadata.len())
                .sum(),
            None => self.database.storage_bytes().await.expect("database size"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A valid RS256 token of tenant A's IdP for `sub`, with every role needed.
    pub fn token_a(&self, sub: &str) -> String {
        self.jwks.sign(&Claims::for_tenants(&self.jwks.issuer(), "oms", sub, &[TENANT_A]))
    }

    pub fn token_p(&self, sub: &str) -> String {
        self.jwks.sign(&Claims::for_tenants(&self.jwks.issuer(), "oms", sub, &[TENANT_P]))
    }

    /// A token of the shared IdP for `tenant` with exactly `roles`.
    pub fn token_for(&self, tenant: &str, sub: &str, roles: &[&str]) -> String {
        let mut claims = Claims::for_tenants(&self.jwks.issuer(), "oms", sub, &[tenant]);
        claims.extra.insert("roles".to_owned(), json!(roles));
        self.jwks.sign(&claims)
    }

    pub fn token_b(&self, sub: &str) -> String {
        tokens::sign_es256(&Claims::for_claim("https://idp.tenant-b.example", "oms-b", sub, "tenant", json!(TENANT_B)))
    }

    /// POSTs a GraphQL request; returns the HTTP status and the JSON body.
    pub async fn post(&self, headers: &[(&str, &str)], body: &Value) -> (u16, Value) {
        let mut req = self.client.post(self.url("/graphql")).json(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let body = resp.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// Runs a GraphQL document as `token`; returns the HTTP status and the whole body.
    pub async fn gql_status(&self, token: &str, query: &str, variables: Value) -> (u16, Value) {
        let auth = format!("Bearer {token}");
        self.post(&[("authorization", &auth)], &json!({"query": query, "variables": variables})).await
    }

    /// Runs a GraphQL document as `token`; panics on HTTP failure, returns the whole body.
    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        let auth = format!("Bearer {token}");
        let (status, body) =
            self.post(&[("authorization", &auth)], &json!({"query": query, "variables": variables})).await;
        assert!(status == 200, "HTTP {status}: {body}");
        body
    }
}

/// What a test of real `tenant-oms serve` processes needs, and no server of its own: the IdP's
/// JWKS, a fresh migrated database, and the test config as a file. (A `TestApp` would run its
/// own relay and webhook dispatcher on the database, doing the processes' work for them.)
pub struct ProcessFixture {
    pub jwks: jwks::JwksServer,
    pub location: DatabaseLocation,
    pub config_file: std::path::PathBuf,
    _config_dir: tempfile::TempDir,
    _db_dir: Option<tempfile::TempDir>,
}

impl ProcessFixture {
    pub async fn new() -> ProcessFixture {
        init();
        let jwks = jwks::JwksServer::start().await;
        let (database, db_dir, location) = fresh_database().await;
        database.close().await.expect("close the test's own handle on the database");
        let config_dir = tempfile::tempdir().expect("temp dir");
        let config_file = config_dir.path().join("saas-config.json");
        std::fs::write(&config_file, saas_config_json(&jwks.base_url()).to_string()).expect("write the config");
        ProcessFixture { jwks, location, config_file, _config_dir: config_dir, _db_dir: db_dir }
    }

    /// A valid RS256 token of tenant A's IdP for `sub`, with every role needed.
    pub fn token_a(&self, sub: &str) -> String {
        self.jwks.sign(&Claims::for_tenants(&self.jwks.issuer(), "oms", sub, &[TENANT_A]))
    }
}

/// The `extensions.code` of the first top-level error.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}
