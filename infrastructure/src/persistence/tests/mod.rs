//! Contract tests of the persistence adapter. Every contract runs against SQLite (a file in a
//! fresh temporary directory) and, when `TEST_DATABASE_URL` is set, against PostgreSQL in a
//! fresh schema. A set but unreachable `TEST_DATABASE_URL` fails the PostgreSQL tests.

mod audit;
mod concurrency;
mod config;
mod connections;
mod event_feed;
mod fixtures;
mod harness;
mod isolation;
mod ledger;
mod listing;
mod outbox;
mod query_counts;
mod round_trip;
mod row_security;
mod tracking;
mod tracking_migration;
mod webhooks;
mod writes;

/// Generates one `#[tokio::test]` per contract and backend: `sqlite::<name>`, `postgres::<name>`.
macro_rules! contracts {
    ($($module:ident::$name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = super::harness::TestDb::sqlite().await;
                    super::$module::$name(&db.db).await;
                    db.finish().await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = super::harness::TestDb::postgres().await else {
                        eprintln!("TEST_DATABASE_URL is not set; PostgreSQL contract skipped");
                        return;
                    };
                    super::$module::$name(&db.db).await;
                    db.finish().await;
                }
            )*
        }
    };
}

contracts!(
    round_trip::created_order_loads_equal_by_every_read,
    round_trip::updated_order_loads_equal,
    round_trip::shipments_removed_from_the_aggregate_are_deleted,
    round_trip::dropped_transaction_rolls_back,
    round_trip::migrate_is_idempotent_and_ping_works,
    isolation::other_tenants_see_nothing,
    isolation::other_tenants_cannot_write,
    isolation::keys_are_unique_per_tenant_only,
    isolation::tracking_references_are_unique_per_tenant,
    writes::stale_version_is_a_conflict,
    writes::duplicate_external_ref_and_number,
    writes::duplicate_tracking_reference_per_carrier,
    writes::duplicate_idempotency_key,
    writes::order_numbers_count_per_tenant,
    writes::outbox_events_are_appended_with_the_transaction,
    listing::pages_newest_first_with_cursor,
    listing::filters_narrow_the_page,
    listing::page_loads_whole_aggregates,
    listing::created_range_pages_by_creation_time_with_cursor,
    listing::sku_pages_with_cursor,
    listing::a_cursor_of_the_other_sort_is_refused,
    query_counts::an_order_costs_two_queries_however_it_is_read,
    concurrency::locked_commands_on_one_order_never_over_allocate,
    concurrency::reads_are_not_blocked_by_an_open_write,
    concurrency::concurrent_writers_each_get_their_own_answer,
    audit::appended_audit_commits_with_the_change,
    audit::dropped_transaction_drops_its_audit,
    audit::refused_calls_are_recorded_outside_a_transaction,
    audit::records_queue_behind_open_writes,
    audit::other_tenants_see_no_audit_records,
    audit::filters_narrow_the_audit_trail,
    audit::pages_newest_first_without_gaps_or_repeats,
    audit::json_input_and_target_ids_round_trip,
    audit::config_writes_carry_their_audit_record,
    config::config_first_write_is_version_1_at_revision_1,
    config::config_revisions_increase_across_documents,
    config::config_expected_version_guards_each_document,
    config::config_batch_with_one_stale_write_writes_nothing,
    config::config_current_holds_only_latest_versions,
    config::config_history_pages_newest_first,
    config::config_documents_round_trip_exactly,
    config::config_concurrent_writers_expecting_one_version_one_wins,
    config::config_concurrent_unconditional_writers_all_append,
    config::config_taken_version_is_a_conflict,
    config::config_migration_rolls_back_cleanly,
    config::config_import_writes_only_what_changed,
    ledger::journal_and_returns_round_trip,
    ledger::journal_keys_are_unique_per_tenant,
    ledger::journal_pages_filter_and_balance_per_tenant,
    ledger::trial_balance_sums_beyond_64_bits,
    tracking::tracking_events_round_trip_in_order,
    tracking::webhook_receipts_guard_replays_until_they_expire,
    tracking::tracked_shipments_are_found_within_their_scope,
    tracking_migration::tracking_migration_normalises_carriers,
    tracking_migration::tracking_migration_refuses_a_clash_within_a_tenant,
    event_feed::feed_pages_a_tenants_events_by_id_with_filters,
    event_feed::timeline_orders_by_version_then_id_and_pages,
    event_feed::redeliver_since_makes_the_tenants_later_deliveries_due,
    webhooks::claims_leave_room_only_for_what_is_not_under_way,
    webhooks::claims_go_round_the_tenants_when_the_batch_is_smaller_than_the_work,
    webhooks::claims_skip_tenants_with_nothing_due_or_a_disabled_endpoint,
    webhooks::a_batch_of_attempts_keeps_each_endpoints_failure_streak,
    outbox::events_published_since_a_moment_are_published_again_on_request,
);

/// SQLite only: PostgreSQL has no group commit and runs each statement as it comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_order_reaches_the_sqlite_writer_once() {
    let db = harness::TestDb::sqlite().await;
    query_counts::a_created_order_reaches_the_sqlite_writer_once(&db.db).await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_changed_outside_the_sqlite_writer_is_a_conflict_then_read_again() {
    let db = harness::TestDb::sqlite().await;
    query_counts::a_counter_changed_outside_the_writer_is_a_conflict_then_read_again(&db.db).await;
    db.finish().await;
}

/// PostgreSQL only: SQLite counts inside the order's transaction, where its one writer
/// serializes commands anyway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_counters_are_not_held_by_the_postgres_order_transaction() {
    let Some(db) = harness::TestDb::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set; PostgreSQL test skipped");
        return;
    };
    writes::order_counters_are_not_held_by_the_order_transaction(&db.db).await;
    db.finish().await;
}

#[tokio::test]
async fn unreachable_postgres_is_unavailable() {
    let err = crate::persistence::Database::connect("postgres://postgres@127.0.0.1:1/nothing").await.unwrap_err();
    assert!(matches!(err, application::ports::StoreError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn unknown_url_scheme_is_refused_without_echoing_it() {
    let err = crate::persistence::Database::connect("mysql://user:secret@host/db").await.unwrap_err();
    assert!(!format!("{err}").contains("secret"), "{err}");
}

#[tokio::test]
async fn in_memory_sqlite_keeps_its_data() {
    let db = crate::persistence::Database::connect("sqlite::memory:").await.unwrap();
    db.migrate().await.unwrap();
    round_trip::created_order_loads_equal_by_every_read(&db).await;
}
