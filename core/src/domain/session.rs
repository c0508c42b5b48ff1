//! Sessions: created at login, bound to the client, holding one refresh-token family.

use super::{ClientInfo, SessionId, TokenHash, UserId};
use time::{Duration, OffsetDateTime};

/// A login's session. Access tokens name it in `sid`; it must be active for them to work.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_used_at: OffsetDateTime,
    pub user_agent: String,
    pub user_agent_hash: String,
    pub ip_prefix: String,
    /// The hash of the one refresh token of this session that may be used next.
    pub refresh_hash: TokenHash,
    #[serde(with = "time::serde::rfc3339")]
    pub idle_expires_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub absolute_expires_at: OffsetDateTime,
    #[serde(
        with = "time::serde::rfc3339::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub revoked_at: Option<OffsetDateTime>,
    /// The account's credential epoch this session was granted for (see `User::allows`).
    #[serde(default)]
    pub credential_epoch: u64,
    /// Wrong passwords given with this session (change-password) over its whole life.
    #[serde(default)]
    pub password_failures: u64,
}

impl Session {
    /// A new session with a fresh id (no fixation), bound to `client`, for the password of
    /// `credential_epoch`.
    pub fn start(
        (user_id, credential_epoch): (UserId, u64),
        client: &ClientInfo,
        now: OffsetDateTime,
        idle: Duration,
        absolute: Duration,
        refresh_hash: TokenHash,
    ) -> Self {
        Self {
            id: SessionId::new(now),
            user_id,
            created_at: now,
            last_used_at: now,
            user_agent: client.user_agent_display(),
            user_agent_hash: client.user_agent_hash(),
            ip_prefix: client.ip_prefix(),
            refresh_hash,
            idle_expires_at: now + idle,
            absolute_expires_at: now + absolute,
            revoked_at: None,
            credential_epoch,
            password_failures: 0,
        }
    }

    pub fn is_active(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && now < self.idle_expires_at && now < self.absolute_expires_at
    }

    /// Whether this session was held by `client`'s User-Agent (hash) and network prefix: what the
    /// known-client exemption and the new-sign-in notice ask of past sessions.
    pub fn held_by(&self, user_agent_hash: &str, ip_prefix: &str) -> bool {
        self.user_agent_hash == user_agent_hash && self.ip_prefix == ip_prefix
    }

    /// Whether `client` calls from the network prefix this session was created in.
    pub fn prefix_matches(&self, client: &ClientInfo) -> bool {
        self.ip_prefix == client.ip_prefix()
    }

    /// Whether `client` is the User-Agent this session was created for (checked on every call).
    pub fn user_agent_matches(&self, client: &ClientInfo) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(
            self.user_agent_hash
                .as_bytes()
                .ct_eq(client.user_agent_hash().as_bytes()),
        )
    }
}

/// The hash of one refresh token of a session's family, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshTokenRecord {
    pub hash: TokenHash,
    pub session_id: SessionId,
    pub user_id: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When this token was exchanged for the next one; a spent token presented again is reuse.
    #[serde(
        with = "time::serde::rfc3339::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub spent_at: Option<OffsetDateTime>,
}

/// A refresh token as handed out: `<session id>.<user id>.<secret>`. The ids route a refresh to
/// its session and account in one read; what proves the token is its secret (256 random bits)
/// hashing to the session's current `refresh_hash`, or to a record of that very session. A
/// bare secret (a token issued before the ids were added) is still accepted, found by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedRefresh {
    pub route: Option<(SessionId, UserId)>,
    pub hash: TokenHash,
}

impl PresentedRefresh {
    /// The token a client was given, for `session` of `user` with `secret`.
    pub fn handed_out(session: &SessionId, user: &UserId, secret: &str) -> String {
        format!("{session}.{user}.{secret}")
    }

    /// A token as a client presents it; `None` when it cannot be one of ours.
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.split('.');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(secret), None, None, None) => Some(Self {
                route: None,
                hash: TokenHash::of_presented(secret)?,
            }),
            (Some(sid), Some(uid), Some(secret), None) => Some(Self {
                route: Some((SessionId::parse(sid)?, UserId::parse(uid)?)),
                hash: TokenHash::of_presented(secret)?,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_expires_idle_absolute_or_revoked() {
        let now = OffsetDateTime::now_utc();
        let client = ClientInfo {
            ip: "198.51.100.7".parse().unwrap(),
            user_agent: "UA/1".into(),
        };
        let hash = crate::domain::OneTimeToken::generate().hash;
        let mut s = Session::start(
            (UserId::new(now), 0),
            &client,
            now,
            Duration::days(14),
            Duration::days(30),
            hash,
        );
        assert!(s.is_active(now));
        assert_eq!(s.ip_prefix, "198.51.100.0/24");
        assert!(!s.is_active(now + Duration::days(14)));
        s.revoked_at = Some(now);
        assert!(!s.is_active(now));
        assert!(s.user_agent_matches(&ClientInfo {
            user_agent: "UA/2".into(),
            ..client.clone()
        }));
        assert!(!s.user_agent_matches(&ClientInfo {
            user_agent: "Other/1".into(),
            ..client
        }));
    }

    #[test]
    fn a_refresh_token_routes_to_its_session_and_proves_itself_by_its_secret() {
        let now = OffsetDateTime::now_utc();
        let (sid, uid) = (SessionId::new(now), UserId::new(now));
        let token = crate::domain::OneTimeToken::generate();
        let raw = PresentedRefresh::handed_out(&sid, &uid, token.secret());
        let parsed = PresentedRefresh::parse(&raw).unwrap();
        assert_eq!(parsed.route, Some((sid.clone(), uid.clone())));
        assert_eq!(parsed.hash, token.hash);
        // A bare secret (issued before routing) still parses, without a route.
        let bare = PresentedRefresh::parse(token.secret()).unwrap();
        assert_eq!((bare.route, bare.hash), (None, token.hash.clone()));
        for bad in [
            String::new(),
            format!("{sid}.{uid}"),
            format!("{sid}.{uid}.{}.x", token.secret()),
            format!("{sid}.not-an-id.{}", token.secret()),
            format!("{}.{uid}.{}", sid.as_str().to_lowercase(), token.secret()),
            format!("{sid}.{uid}.{}", &token.secret()[..42]),
        ] {
            assert_eq!(PresentedRefresh::parse(&bad), None, "{bad:?}");
        }
    }
}
