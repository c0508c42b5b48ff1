//! A user account as the services see it.

use super::{Billing, Email, Mfa, PasswordHash, Plan, Role, Session, SessionId, UserId};
use time::OffsetDateTime;

/// One account. `version` increases with every write, for optimistic concurrency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub password_hash: PasswordHash,
    pub email_verified: bool,
    pub roles: Vec<Role>,
    pub plan: Plan,
    pub mfa_enabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub version: u64,
    /// Increases with every new password. A session is granted for one epoch and is created
    /// only while the stored account is still at it, so a login that read the old password
    /// cannot outlive a reset or change that landed meanwhile; reset links carry it too.
    #[serde(default)]
    pub credential_epoch: u64,
    /// Hashes of the previous passwords, newest first (the current one is `password_hash`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub password_history: Vec<PasswordHash>,
    /// Sessions created before this instant are void (logout-all, password reset and change).
    #[serde(
        with = "time::serde::rfc3339::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sessions_not_before: Option<OffsetDateTime>,
    /// The one older session a password change keeps: the caller's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_kept: Option<SessionId>,
    /// The second factor; `mfa_enabled` says whether its secret is set.
    #[serde(default, skip_serializing_if = "Mfa::is_blank")]
    pub mfa: Mfa,
    /// Plan start, spend cap and resource counts.
    #[serde(default, skip_serializing_if = "Billing::is_blank")]
    pub billing: Billing,
    /// Random for each write (`next_write`), so two requests never write the same account: a
    /// retried save recognises its own landing by the account read back, never another
    /// request's identical change (a spent code, a second audit event).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub write_id: String,
}

impl User {
    /// A new, unverified account with the everyone role and the free plan.
    pub fn register(email: Email, password_hash: PasswordHash, now: OffsetDateTime) -> Self {
        Self {
            id: UserId::new(now),
            email,
            password_hash,
            email_verified: false,
            roles: vec![Role::User],
            plan: Plan::Free,
            mfa_enabled: false,
            created_at: now,
            version: 1,
            credential_epoch: 0,
            password_history: Vec::new(),
            sessions_not_before: None,
            session_kept: None,
            mfa: Mfa::default(),
            billing: Billing::default(),
            write_id: String::new(),
        }
    }

    /// Replaces the password, keeping the old hash in the history (at most `keep` in all,
    /// counting the current one), and moves to the next credential epoch: every session and
    /// reset link of the old password is void but `keep_session` (the caller's, on a change).
    /// The cut-off time is set as well, so code that knows no epochs (a rollback, a deploy
    /// half-way) still voids the sessions that were older than the change.
    pub fn set_password(
        &mut self,
        hash: PasswordHash,
        keep: usize,
        now: OffsetDateTime,
        keep_session: Option<SessionId>,
    ) {
        let old = std::mem::replace(&mut self.password_hash, hash);
        self.password_history.insert(0, old);
        self.password_history.truncate(keep.saturating_sub(1));
        self.credential_epoch += 1;
        self.sessions_not_before = Some(now);
        self.session_kept = keep_session;
    }

    /// What a restore from a backup does to every account: whatever happened since the backup
    /// (a revoked session, a spent TOTP code, a password changed and changed back) must not come
    /// back to life. Every session and every link or MFA token issued before `now` dies (the
    /// credential epoch moves on, every session is cut), and no TOTP code of a step up to now is
    /// accepted again. Recovery codes cannot be told apart (a spent one is back, unspent); the
    /// owner was mailed when one was used and can make a new set.
    pub fn after_restore(&mut self, now: OffsetDateTime) {
        self.credential_epoch += 1;
        self.sessions_not_before = Some(now);
        self.session_kept = None;
        let step = u64::try_from(now.unix_timestamp() / 30).unwrap_or(0);
        self.mfa.last_step = self.mfa.last_step.max(step);
        self.next_write();
    }

    /// Makes this copy of the account as read the next write of it: its version moves on and
    /// it is stamped as this request's own.
    pub fn next_write(&mut self) {
        self.version += 1;
        self.write_id = crate::crypto::hex(&crate::crypto::random::bytes32()[..16]);
    }

    /// Whether this account was never verified and is older than `ttl`: it counts as absent.
    pub fn is_abandoned(&self, now: OffsetDateTime, ttl: time::Duration) -> bool {
        !self.email_verified && now >= self.created_at + ttl
    }

    /// Whether the account holds one of `roles` (everyone holds `USER`).
    pub fn holds_any(&self, roles: &[Role]) -> bool {
        roles
            .iter()
            .any(|r| *r == Role::User || self.roles.contains(r))
    }

    /// Whether `session` survived the account's mass revocations: it was granted for the
    /// current password (or is the one a change kept) and is not older than a logout-all.
    pub fn allows(&self, session: &Session) -> bool {
        let kept = self.session_kept.as_ref() == Some(&session.id);
        let current_password = session.credential_epoch == self.credential_epoch || kept;
        let after_cut = self
            .sessions_not_before
            .is_none_or(|cut| session.created_at >= cut || kept);
        current_password && after_cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(roles: &[Role]) -> User {
        let email = Email::parse("someone@example.com").unwrap();
        let hash = PasswordHash("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".to_owned());
        let mut u = User::register(email, hash, OffsetDateTime::UNIX_EPOCH);
        u.roles = roles.to_vec();
        u
    }

    #[test]
    fn a_restore_kills_every_earlier_session_and_totp_step() {
        let mut u = user(&[]);
        let then = OffsetDateTime::UNIX_EPOCH + time::Duration::days(1);
        let client = crate::domain::ClientInfo {
            ip: "203.0.113.9".parse().unwrap(),
            user_agent: "UA".into(),
        };
        let hash = crate::domain::OneTimeToken::generate().hash;
        let session = Session::start(
            (u.id.clone(), u.credential_epoch),
            &client,
            then,
            time::Duration::days(14),
            time::Duration::days(30),
            hash,
        );
        u.session_kept = Some(session.id.clone());
        assert!(u.allows(&session));
        let (epoch, version) = (u.credential_epoch, u.version);
        let now = then + time::Duration::hours(1);
        u.after_restore(now);
        assert!(!u.allows(&session), "even the session a change kept");
        assert_eq!(u.credential_epoch, epoch + 1);
        assert_eq!(u.version, version + 1);
        assert_eq!(u.mfa.last_step, (now.unix_timestamp() / 30) as u64);
        // A floor already past now stays.
        u.mfa.last_step = u64::MAX - 1;
        u.after_restore(now);
        assert_eq!(u.mfa.last_step, u64::MAX - 1);
    }

    #[test]
    fn roles_admit_only_their_holders_and_user_admits_everyone() {
        let plain = user(&[Role::User]);
        let support = user(&[Role::User, Role::Support]);
        assert!(!plain.holds_any(&[Role::Admin, Role::Support]));
        assert!(support.holds_any(&[Role::Admin, Role::Support]));
        assert!(!support.holds_any(&[Role::Admin]));
        assert!(!support.holds_any(&[]));
        assert!(user(&[]).holds_any(&[Role::User]));
    }
}
