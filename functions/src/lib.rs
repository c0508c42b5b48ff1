//! Latch's entry points: the one Lambda bootstrap every function runs (`bootstrap`), with the
//! route runner, the jobs, mail-sender, key rotation and the first administrator's seed function,
//! and the local server that mounts the whole route table on one port.

pub mod bootstrap;
pub mod job;
pub mod lambda;
pub mod local;
pub mod local_backup;
pub mod mail_sender;
pub mod rotation;
pub mod seed_admin;

/// Whether the function `name` (a route's or a job's) reads the keys secret: not when its route
/// uses no key (`http::routes::KEYLESS`) nor for `backup-tables`, which copies tables as they
/// are. (`mail-sender` builds no keys at all.)
pub fn needs_keys(name: &str) -> bool {
    !latch_core::http::routes::KEYLESS.contains(&name)
        && name != "backup-tables"
        && name != "mail-sender"
}
