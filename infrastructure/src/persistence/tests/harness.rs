use std::path::PathBuf;

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::persistence::Database;

pub(super) struct TestDb {
    pub db: Database,
    cleanup: Cleanup,
}

enum Cleanup {
    Directory(TempDir),
    Schema { url: String, schema: String },
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = TempDir::new();
        let db = Database::connect(&sqlite_url(&dir)).await.expect("open SQLite");
        assert_eq!(db.backend_name(), "sqlite");
        db.migrate().await.expect("migrate SQLite");
        TestDb { db, cleanup: Cleanup::Directory(dir) }
    }

    /// The URL `sqlite()` opened, for a second handle on the same file.
    pub fn sqlite_url(&self) -> Option<String> {
        match &self.cleanup {
            Cleanup::Directory(dir) => Some(sqlite_url(dir)),
            Cleanup::Schema { .. } => None,
        }
    }

    /// None when `TEST_DATABASE_URL` is unset; panics when it is set but unusable.
    pub async fn postgres() -> Option<TestDb> {
        let url = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
        let schema = format!("oms_test_{}", Uuid::new_v4().simple());
        let db = Database::connect_in_schema(&url, &schema)
            .await
            .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but PostgreSQL is unusable: {e}"));
        assert_eq!(db.backend_name(), "postgres");
        db.migrate().await.expect("migrate PostgreSQL");
        Some(TestDb { db, cleanup: Cleanup::Schema { url, schema } })
    }

    pub async fn finish(self) {
        self.db.close().await.expect("close");
        match self.cleanup {
            Cleanup::Directory(dir) => drop(dir),
            Cleanup::Schema { url, schema } => {
                // As the URL's user, who owns the schema: the store's connections run as the app role.
                let admin = sea_orm::Database::connect(&url).await.expect("reconnect to drop the test schema");
                admin.execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE")).await.expect("drop schema");
                admin.close().await.expect("close");
            }
        }
    }
}

fn sqlite_url(dir: &TempDir) -> String {
    format!("sqlite://{}?mode=rwc", dir.0.join("oms.db").display())
}

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let path = std::env::temp_dir().join(format!("oms-persistence-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
