use rand::Rng;

/// A name unique to one loop of one process: host, process id and a random part. As a consumer
/// name in a group it must be unique (two loops of one group in one process, as in tests, must
/// not share a pending list); what it leaves pending is reclaimed by the others once it is gone.
pub(super) fn unique_member_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    format!("{host}-{}-{:08x}", std::process::id(), rand::rng().random::<u32>())
}
