use serde_json::json;

use super::*;

fn sealed_box() -> SecretBox {
    SecretBox::new(&SecretKey::generate())
}

#[test]
fn a_sealed_secret_opens_only_in_its_place_and_under_its_key() {
    let secrets = sealed_box();
    let sealed = secrets.seal("hunter2", "tenant/acme/webhooks.add_order.shared_secret");
    assert!(!sealed.contains("hunter2"));
    assert_eq!(secrets.open(&sealed, "tenant/acme/webhooks.add_order.shared_secret").unwrap(), "hunter2");
    assert_eq!(secrets.open(&sealed, "tenant/globex/webhooks.add_order.shared_secret"), Err(SealError::Tampered));
    let other = sealed_box();
    assert!(matches!(
        other.open(&sealed, "tenant/acme/webhooks.add_order.shared_secret"),
        Err(SealError::WrongKey { .. })
    ));
    let mut altered = sealed.clone();
    altered.pop();
    altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
    assert!(secrets.open(&altered, "tenant/acme/webhooks.add_order.shared_secret").is_err());
    // A fresh nonce each time: the same secret never seals to the same text.
    assert_ne!(sealed, secrets.seal("hunter2", "tenant/acme/webhooks.add_order.shared_secret"));
}

#[test]
fn every_secret_of_a_document_is_sealed_and_opened_back() {
    let secrets = sealed_box();
    let document = json!({
        "plan": "standard",
        "idp": {"issuer": "x", "hs256_secret": "dev-key"},
        "webhooks": {"add_order": {"provider": "standard", "shared_secret": "shared-secret-1", "max_age_seconds": 300}},
        "create_shipment_api": {"api_key": "api-key-1"},
        "outbound_webhook": {"url": "https://x.example", "secret": "whsec_AAAA"},
        "list": [{"secret": "in-a-list"}]
    });
    // Plain texts long enough that the sealed (random) text cannot hold one by chance.
    let sealed = seal_document(&document, "tenant/acme/", &secrets);
    let text = sealed.to_string();
    for plain in ["dev-key", "shared-secret-1", "api-key-1", "whsec_AAAA", "in-a-list"] {
        assert!(!text.contains(plain), "{plain} left in {text}");
    }
    assert_eq!(sealed["plan"], "standard");
    assert!(sealed["webhooks"]["add_order"]["shared_secret"][SEALED_FIELD].is_string());
    assert_eq!(open_document(&sealed, "tenant/acme/", &secrets).unwrap(), document);
    assert!(open_document(&sealed, "tenant/globex/", &secrets).is_err(), "a document's secrets open only there");

    let mut stripped = sealed.clone();
    assert!(strip_sealed(&mut stripped));
    assert!(stripped["webhooks"]["add_order"]["shared_secret"].is_null());
    assert_eq!(stripped["webhooks"]["add_order"]["max_age_seconds"], 300);
    assert!(!strip_sealed(&mut stripped), "nothing left to strip");
}

#[test]
fn keys_are_32_bytes_of_base64_and_files_are_private() {
    assert!(SecretKey::from_base64("c2hvcnQ=", "OMS_SECRET_KEY").is_err());
    let key = SecretKey::generate();
    assert_eq!(SecretKey::from_base64(&key.to_base64(), "x").unwrap().id(), key.id());
    let dir = std::env::temp_dir().join(format!("oms-key-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("oms.db.key");
    let (created, fresh) = SecretKey::load_or_create(&path).unwrap();
    assert!(fresh);
    let (again, fresh) = SecretKey::load_or_create(&path).unwrap();
    assert!(!fresh);
    assert_eq!(created.id(), again.id());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        SecretKey::path_beside_sqlite("sqlite:///var/lib/oms/oms.db?mode=rwc").unwrap(),
        std::path::PathBuf::from("/var/lib/oms/oms.db.key")
    );
    assert_eq!(SecretKey::path_beside_sqlite("sqlite::memory:"), None);
}
