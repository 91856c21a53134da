//! Issue 12: secrets at rest. The plaintext of no configured or rotated secret is stored: not in
//! the SQLite files (database, WAL), not in a `pg_dump` of the test's schema, also after the key
//! itself is rotated; the stored secrets still open, under the new key only.

use std::{path::PathBuf, sync::Arc};

use infrastructure::secrets::{KeySource, SecretBox, SecretKey};
use serde_json::{Value, json};

use crate::support::{SECRETS, TENANT_A, TEST_SECRET_KEY, TestApp, saas_config_json};

const ROTATE: &str = "mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) { \
  secret userErrors { code field message } } }";
const UPDATE_CONFIG: &str = "mutation($input: UpdateTenantConfigInput!) { updateTenantConfig(input: $input) { \
  tenantConfig { outboundWebhook { url hasSecret } version } userErrors { code field message } } }";
const OUTBOUND: [&str; 2] =
    ["whsec_b3V0Ym91bmQtc2VjcmV0LW9uZS0wMTIzNDU2Nzg5YWJj", "whsec_b3V0Ym91bmQtc2VjcmV0LXR3by0wMTIzNDU2Nzg5YWJj"];

fn ok<'a>(body: &'a Value, field: &str) -> &'a Value {
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"][field]["userErrors"], json!([]), "{body}");
    &body["data"][field]
}

/// The SQLite file the URL names.
fn sqlite_file(url: &str) -> PathBuf {
    let rest = url.strip_prefix("sqlite://").expect("a SQLite URL");
    PathBuf::from(rest.split('?').next().unwrap())
}

/// Everything the database stores, as text: the SQLite database and its WAL (whatever the
/// checkpoints did), or a `pg_dump` of the test's schema.
async fn stored_text(app: &TestApp) -> String {
    match &app.location.schema {
        None => {
            let file = sqlite_file(&app.location.url);
            let mut text = String::new();
            for suffix in ["", "-wal"] {
                let path = PathBuf::from(format!("{}{suffix}", file.display()));
                if let Ok(bytes) = std::fs::read(&path) {
                    text.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
            assert!(text.contains("tenant_a"), "the files hold the config at all");
            text
        }
        Some(schema) => {
            let dump = tokio::process::Command::new("pg_dump")
                .args(["--no-owner", "--schema", schema, "--dbname", &app.location.url])
                .output()
                .await
                .expect("pg_dump runs (Debian package postgresql-client)");
            assert!(dump.status.success(), "pg_dump: {}", String::from_utf8_lossy(&dump.stderr));
            let text = String::from_utf8(dump.stdout).expect("a dump is text");
            assert!(text.contains("tenant_a"), "the dump holds the config at all");
            text
        }
    }
}

fn assert_absent(stored: &str, secrets: &[&str], when: &str) {
    for secret in secrets {
        assert!(!stored.contains(secret), "{when}: the plaintext secret {secret:.12}… is stored");
    }
}

#[tokio::test]
async fn no_configured_or_rotated_secret_is_stored_in_plain_text_even_after_a_key_rotation() {
    let app = TestApp::spawn().await;
    let provider = app.jwks.sign_provider("sara", &["saas_admin"]);
    let alice = app.token_a("alice");

    // Rotated twice: the configured secret and the first generated one are both rotated out.
    let mut rotated = Vec::new();
    for _ in 0..2 {
        let answer = app.gql(&provider, ROTATE, json!({"input": {"tenantId": TENANT_A, "webhook": "add_order"}})).await;
        rotated.push(ok(&answer, "rotateWebhookSecret")["secret"].as_str().unwrap().to_owned());
    }
    for secret in OUTBOUND {
        let hook = json!({"input": {"outboundWebhook": {"url": "https://tenant-a.example/hooks", "secret": secret,
                                                        "events": ["order.*"]}}});
        let updated = app.gql(&alice, UPDATE_CONFIG, hook).await;
        assert_eq!(ok(&updated, "updateTenantConfig")["tenantConfig"]["outboundWebhook"]["hasSecret"], true);
    }
    let mut every: Vec<&str> = SECRETS.to_vec();
    every.extend(rotated.iter().map(String::as_str));
    every.extend(OUTBOUND);
    assert_absent(&stored_text(&app).await, &every, "configured and rotated");

    // The latest secrets open, under the test key, exactly as given.
    let current = app.database.config_store().current().await.unwrap();
    let tenant_config = current.documents.iter().find(|d| d.key == TENANT_A && d.kind.as_str() == "tenant_config");
    assert_eq!(tenant_config.unwrap().document["outbound_webhook"]["secret"], OUTBOUND[1]);
    // Superseded versions hold no secret at all, sealed or not: a rotated-out one is gone.
    let kind = tenant_config.unwrap().kind;
    let history = app.database.config_store().history(kind, TENANT_A, 10, None).await.unwrap();
    assert!(history.len() >= 2, "{} versions", history.len());
    for old in &history[1..] {
        assert!(old.document["outbound_webhook"]["secret"].is_null(), "version {} keeps a secret", old.version);
    }

    // Key rotation: everything re-sealed under the new key, no plaintext on the way.
    let old = SecretKey::from_base64(TEST_SECRET_KEY, "test").unwrap();
    let new = SecretKey::generate();
    let report =
        tenant_oms::app::rotate_secret_key(&app.database, &app.location.url, &old, &new, &KeySource::Environment)
            .await
            .expect("rotation");
    assert!(report.rewritten >= 3, "{report:?}");
    assert_absent(&stored_text(&app).await, &every, "after the key rotation");

    let under_new = app.database.clone().with_secrets(Arc::new(SecretBox::new(&new)));
    let reopened = under_new.config_store().current().await.expect("the new key opens every secret");
    let dev = reopened.documents.iter().find(|d| d.key == "tenant_dev" && d.kind.as_str() == "tenant").unwrap();
    assert_eq!(dev.document["idp"]["hs256_secret"], SECRETS[3]);
    let refused = app.database.config_store().current().await.expect_err("the old key opens nothing now");
    assert!(refused.to_string().contains(&new.id()), "the error names the key the secrets need: {refused}");

    // An instance on the new key serves, its webhook secret included.
    let second = app.instance_on(under_new).await;
    let whoami = second.gql(&alice, "{ tenantConfig { outboundWebhook { hasSecret } } }", json!({})).await;
    assert_eq!(whoami["data"]["tenantConfig"]["outboundWebhook"]["hasSecret"], true, "{whoami}");
}

/// `config import` without a key: SQLite gets a key file beside the database (mode 0600) and says
/// so, and the file's plain secrets are stored sealed; PostgreSQL refuses, saying why.
#[tokio::test]
async fn without_a_key_sqlite_generates_one_beside_the_database_and_postgres_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let config_file = dir.path().join("saas-config.json");
    std::fs::write(&config_file, saas_config_json("http://127.0.0.1:9").to_string()).unwrap();
    let import = |url: String| {
        let config_file = config_file.clone();
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_tenant-oms"))
                .args(["config", "import"])
                .arg(&config_file)
                .args(["--database-url", &url])
                .env_remove("OMS_SECRET_KEY")
                .env_remove("OMS_SECRET_KEY_FILE")
                .output()
                .await
                .expect("run tenant-oms config import")
        }
    };

    let db = dir.path().join("oms.db");
    let imported = import(format!("sqlite://{}?mode=rwc", db.display())).await;
    let log = format!("{}{}", String::from_utf8_lossy(&imported.stdout), String::from_utf8_lossy(&imported.stderr));
    assert!(imported.status.success(), "{log}");
    assert!(log.contains("generated one beside the SQLite database"), "{log}");
    let key_file = dir.path().join("oms.db.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).expect("a key file").permissions().mode() & 0o777, 0o600);
    }
    SecretKey::load_file(&key_file).expect("the key file holds a key");
    let mut stored = String::new();
    for suffix in ["", "-wal"] {
        if let Ok(bytes) = std::fs::read(format!("{}{suffix}", db.display())) {
            stored.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    assert!(stored.contains("tenant_a"));
    assert_absent(&stored, SECRETS, "imported");

    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        let refused = import(url).await;
        assert!(!refused.status.success());
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(said.contains("no secret key") && said.contains("OMS_SECRET_KEY"), "{said}");
    }
}
