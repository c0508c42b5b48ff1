//! Scheduled jobs. Each is a use case with no HTTP caller; its Lambda gets an EventBridge event.

use super::{Deps, audit};
use crate::Error;
use crate::domain::{AuditType, Outcome};
use serde::Serialize;

/// The scheduled functions: name (binary, SAM function, `events/` prefix) and schedule.
pub const JOBS: &[(&str, &str)] = &[
    ("unlock-accounts", "rate(5 minutes)"),
    ("purge-unverified", "rate(1 hour)"),
    ("recover-provisioning", "rate(15 minutes)"),
    ("backup-tables", "cron(0 3 * * ? *)"),
];

/// Names of the backups `backup-tables` takes start with this; only those are ever deleted.
pub const BACKUP_PREFIX: &str = "latch-";

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct BackupReport {
    /// The backups taken, one per table.
    pub taken: Vec<String>,
    /// This system's backups deleted for being older than the retention.
    pub deleted: Vec<String>,
    /// This system's backups kept (the new ones included).
    pub kept: usize,
}

/// Whether `name` is one `backup_tables` gives: `latch-YYYYMMDDTHHMMSSZ-…` (an operator's own
/// `latch-before-upgrade` is not).
fn ours(name: &str) -> bool {
    let Some(stamp) = name.strip_prefix(BACKUP_PREFIX) else {
        return false;
    };
    let b = stamp.as_bytes();
    b.len() > 17
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'Z'
        && b[16] == b'-'
}

/// Backs every table up, then deletes this system's backups older than the retention. Nothing
/// is deleted unless every table was just backed up: a run that fails to back up leaves every
/// older backup where it was.
pub async fn backup_tables(deps: &Deps, run_id: &str) -> Result<BackupReport, Error> {
    let now = deps.clock.now();
    let stamp = crate::domain::utc_stamp(now);
    let taken = deps
        .backups
        .take(&format!("{BACKUP_PREFIX}{stamp}"))
        .await?;
    let taken_ids: Vec<&str> = taken.iter().map(|b| b.id.as_str()).collect();
    let cut = now - deps.settings.backup_retention;
    let (mut deleted, mut kept) = (Vec::new(), 0);
    for backup in deps.backups.list(BACKUP_PREFIX).await? {
        let dated = backup.created > time::OffsetDateTime::UNIX_EPOCH;
        if ours(&backup.name)
            && dated
            && backup.created < cut
            && !taken_ids.contains(&backup.id.as_str())
        {
            deps.backups.delete(&backup).await?;
            deleted.push(backup.name);
        } else {
            kept += 1;
        }
    }
    let taken: Vec<String> = taken.into_iter().map(|b| b.name).collect();
    tracing::info!(target: "latch::job", job = "backup-tables", runId = run_id, taken = ?taken, deleted = ?deleted, kept, "run finished");
    Ok(BackupReport {
        taken,
        deleted,
        kept,
    })
}

/// How long a provisioning call may take before its half-made resource counts as abandoned:
/// far past any request's deadline, so a call still running is never undone under it.
pub const PROVISIONING_GRACE: time::Duration = time::Duration::minutes(15);

/// How many expired locks one run lifts at most (the next run takes the rest).
const BATCH: usize = 500;

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct UnlockReport {
    pub unlocked: usize,
}

/// Lifts every lock whose time is up and audits each (`account.unlocked`).
pub async fn unlock_accounts(deps: &Deps, run_id: &str) -> Result<UnlockReport, Error> {
    let now = deps.clock.now();
    let mut unlocked = 0;
    for (email, lock) in deps.locks.expired_locks(now, BATCH).await? {
        if !deps.locks.clear_lock(&email, &lock).await? {
            continue;
        }
        unlocked += 1;
        let user = deps.users.user_by_email(&email).await?;
        let kind = if lock.kind == crate::domain::LockKind::Admin {
            "admin"
        } else {
            "automatic"
        };
        audit::record_system(
            deps,
            run_id,
            AuditType::AccountUnlocked,
            user.as_ref().map(|u| &u.id),
            Outcome::Success,
            &[("kind", kind), ("reason", "expired")],
        )
        .await?;
    }
    tracing::info!(target: "latch::job", job = "unlock-accounts", unlocked, "run finished");
    Ok(UnlockReport { unlocked })
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PurgeReport {
    pub purged: usize,
}

/// Deletes accounts never verified within `unverified_ttl` (and their email claims), each only
/// if it is still unverified, and audits each (`user.purged`).
pub async fn purge_unverified(deps: &Deps, run_id: &str) -> Result<PurgeReport, Error> {
    let cut = deps.clock.now() - deps.settings.unverified_ttl;
    let mut purged = 0;
    for user in deps.users.abandoned_users(cut, BATCH).await? {
        // An administrator seeded by `seed-admin` waits for its owner to confirm it: it counts
        // among the administrators, so it is not taken away behind their count's back.
        if user.roles.contains(&crate::domain::Role::Admin) {
            continue;
        }
        if deps.users.delete_unverified(&user).await? {
            purged += 1;
            audit::record_system(
                deps,
                run_id,
                AuditType::UserPurged,
                Some(&user.id),
                Outcome::Success,
                &[("reason", "never_verified")],
            )
            .await?;
        }
    }
    tracing::info!(target: "latch::job", job = "purge-unverified", purged, "run finished");
    Ok(PurgeReport { purged })
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RecoverReport {
    pub recovered: usize,
    /// Pending resources this run could not finish (the next run tries again).
    pub failed: usize,
    /// Deletes marked less than the grace ago, left to the call that may still be running them.
    pub waiting: usize,
    /// Tenant sessions ended for a transaction or statement older than
    /// `TENANT_TRANSACTION_BOUND`.
    pub ended: u64,
}

/// The longest a tenant's transaction or statement may run: the recovery job (every 15
/// minutes) ends older ones, so none outlives twice this plus a run.
pub const TENANT_TRANSACTION_BOUND: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Finds resources a call left `Creating` (made) or `Deleting` (marked) more than
/// `PROVISIONING_GRACE` ago and finishes them: creations undone, deletions completed, each
/// audited.
pub async fn recover_provisioning(deps: &Deps, run_id: &str) -> Result<RecoverReport, Error> {
    let cut = deps.clock.now() - PROVISIONING_GRACE;
    let (mut recovered, mut failed, mut waiting) = (0, 0, 0);
    for resource in deps.resources.pending(cut, BATCH).await? {
        use super::provisioning::Recovery;
        match super::provisioning::recover(deps, run_id, &resource, cut).await {
            Ok(Recovery::Finished | Recovery::ZoneKept) => recovered += 1,
            Ok(Recovery::Waiting) => waiting += 1,
            Ok(Recovery::Settled) => {}
            Err(err) => {
                failed += 1;
                tracing::error!(target: "latch::job", job = "recover-provisioning", resourceId = %resource.id, error = %err, "could not recover");
            }
        }
    }
    // The tenants' server-side bound: a transaction or statement older than this is ended,
    // whatever the tenant set for its own session.
    let ended = match &deps.databases {
        Some(databases) => match databases.end_overlong(TENANT_TRANSACTION_BOUND).await {
            Ok(n) => n,
            Err(err) => {
                failed += 1;
                tracing::error!(target: "latch::job", job = "recover-provisioning", error = %err, "could not end overlong tenant sessions");
                0
            }
        },
        None => 0,
    };
    tracing::info!(target: "latch::job", job = "recover-provisioning", recovered, failed, waiting, ended, "run finished");
    Ok(RecoverReport {
        recovered,
        failed,
        waiting,
        ended,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_names_backup_tables_gives_count_as_its_own() {
        assert!(super::ours("latch-20261202T030000Z-latch-users"));
        assert!(super::ours("latch-20261202T030000Z-store"));
        for other in [
            "latch-before-upgrade",
            "latch-20261202T030000Z",
            "latch-2026120xT030000Z-users",
            "manual-20261202T030000Z-users",
            "",
        ] {
            assert!(!super::ours(other), "{other}");
        }
    }
}
