use std::time::{Duration, Instant};

use application::ports::{RateLimitStore, RetryAfter};

use super::{
    RateLimitSettings, RedisRateLimits,
    local::LocalWindows,
    outage::{Mode, Outage},
};

#[test]
fn an_outage_fails_open_for_a_while_then_counts_locally_and_asks_redis_again_now_and_then() {
    let outage = Outage::default();
    let (open_for, retry) = (Duration::from_secs(60), Duration::from_secs(1));
    let t0 = Instant::now();
    assert_eq!(outage.mode(t0, open_for), Mode::Redis);
    assert_eq!(outage.failed(t0, open_for, retry, &"refused"), Mode::FailOpen);
    assert_eq!(outage.mode(t0 + Duration::from_millis(500), open_for), Mode::FailOpen, "Redis is not asked yet");
    assert_eq!(outage.mode(t0 + Duration::from_secs(2), open_for), Mode::Redis, "asked again after a second");
    assert_eq!(outage.failed(t0 + Duration::from_secs(2), open_for, retry, &"refused"), Mode::FailOpen);
    assert_eq!(outage.failed(t0 + Duration::from_secs(61), open_for, retry, &"refused"), Mode::Local);
    assert_eq!(outage.mode(t0 + Duration::from_millis(61_500), open_for), Mode::Local);
    outage.answered(t0 + Duration::from_secs(70));
    assert_eq!(outage.mode(t0 + Duration::from_secs(70), open_for), Mode::Redis);
    assert_eq!(outage.failed(t0 + Duration::from_secs(80), open_for, retry, &"x"), Mode::FailOpen, "a new outage");
}

#[test]
fn local_windows_count_per_key_per_minute_whole_or_nothing() {
    let local = LocalWindows::default();
    let t = 60 * 1000 + 10;
    assert_eq!(local.admit("a", 3, 2, t), Ok(()));
    assert_eq!(local.admit("a", 3, 2, t), Err(RetryAfter(50)));
    assert_eq!(local.admit("a", 3, 1, t), Ok(()));
    assert_eq!(local.admit("b", 3, 3, t), Ok(()));
    assert_eq!(local.admit("a", 3, 3, t + 60), Ok(()), "a new minute");
}

/// Two stores on one Redis (two instances): one count. Runs when TEST_REDIS_URL is set; fails
/// when it is set but unreachable.
#[tokio::test]
async fn two_instances_share_one_count_in_redis() {
    let Some(url) = std::env::var("TEST_REDIS_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("TEST_REDIS_URL is not set; Redis test skipped");
        return;
    };
    let client = redis::Client::open(url.as_str()).expect("TEST_REDIS_URL is a Redis URL");
    let prefix = format!("oms-test-{}", uuid::Uuid::new_v4().simple());
    let mut stores = Vec::new();
    for _ in 0..2 {
        let connection = client.get_connection_manager().await.expect("TEST_REDIS_URL is set but unreachable");
        stores.push(RedisRateLimits::new(connection, &prefix, RateLimitSettings::default()));
    }
    let mut admitted = 0;
    for call in 0..30 {
        if stores[call % 2].admit("tenant_a", 20, 1).await.is_ok() {
            admitted += 1;
        }
    }
    // Unless the calls straddled a minute boundary, exactly 20; never more than twice that.
    assert!((20..=40).contains(&admitted), "{admitted} admitted");
    let refused = stores[0].admit("tenant_a", 20, 1).await;
    if admitted == 20 {
        assert!(matches!(refused, Err(RetryAfter(1..=60))), "{refused:?}");
        assert_eq!(stores[1].admit("tenant_b", 20, 1).await, Ok(()), "keys are counted apart");
    }
}
