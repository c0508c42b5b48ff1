//! Sending mail under quotas per kind (`MailClass`). Security notices are never dropped, so
//! nobody can fill a quota first and then act unseen; "someone tried to register" notices have
//! their own small daily cap per address; link mail is capped per address and hour. A dropped
//! message is answered like a sent one (the quota tells a caller nothing), but it is logged by
//! recipient hash, counted as the `MailDropped` metric and audited as `mail.dropped`.

use super::{Caller, Deps, audit};
use crate::Error;
use crate::domain::{AuditType, Email, Mail, MailClass, Outcome};
use time::Duration;

/// The counter key, limit (0 = none) and window `class` is counted under for `to`.
fn quota(deps: &Deps, class: MailClass, to: &Email) -> Option<(String, u64, Duration)> {
    let limits = &deps.settings.limits;
    match class {
        MailClass::SecurityNotice => None,
        MailClass::RegistrationNotice => Some((
            format!("mail:notice:{to}"),
            limits.registration_notices_per_day,
            Duration::days(1),
        )),
        MailClass::Link => Some((
            format!("mail:{to}"),
            limits.mail_per_account_per_hour,
            Duration::hours(1),
        )),
    }
    .filter(|(_, limit, _)| *limit > 0)
}

/// Sends `mail` unless its kind's quota for the recipient is used up.
///
/// Link mail and registration notices go out from routes that answer 202 whatever the address:
/// a mailer that fails or times out must not change that answer (it would tell a known address
/// from an unknown one), so their failure is only logged and counted (by the adapter, as
/// `DependencyFailures`) and the state stays as the route left it. A security notice that
/// cannot go out fails the request: nothing may happen unseen.
pub async fn send(deps: &Deps, caller: &Caller, mail: &Mail) -> Result<(), Error> {
    if within_quota(deps, caller, mail).await? {
        answered_alike(caller, mail, deps.mailer.send(mail).await)?;
    }
    Ok(())
}

/// The work of sending `mail` without delivering it: for an address with no account, so that
/// it costs what a known one does (the same counter is counted, over the quota the same drop is
/// audited, the mailer rehearses the send, and its failure is taken as a send's would be: a
/// queue that is down answers alike for known and unknown addresses).
pub async fn rehearse(deps: &Deps, caller: &Caller, mail: &Mail) -> Result<(), Error> {
    if within_quota(deps, caller, mail).await? {
        answered_alike(caller, mail, deps.mailer.rehearse(mail).await)?;
    }
    Ok(())
}

/// A mailer's outcome as the request sees it: an outage is only logged for mail that must not
/// change the answer, and fails the request for a security notice.
fn answered_alike(caller: &Caller, mail: &Mail, outcome: Result<(), Error>) -> Result<(), Error> {
    match outcome {
        Err(Error::Unavailable(_)) if mail.kind.class() != MailClass::SecurityNotice => {
            let kind = mail.kind.as_str();
            tracing::warn!(target: "latch::mail", kind, requestId = %caller.request_id, "mail not delivered; the request answers as if it were");
            Ok(())
        }
        other => other,
    }
}

/// Counts `mail` under its kind's quota; over it, the drop is logged and audited and the answer
/// is `false`.
async fn within_quota(deps: &Deps, caller: &Caller, mail: &Mail) -> Result<bool, Error> {
    let Some((key, limit, window)) = quota(deps, mail.kind.class(), &mail.to) else {
        return Ok(true);
    };
    if deps.counters.hit(&key, window, deps.clock.now()).await? <= limit {
        return Ok(true);
    }
    dropped(deps, caller, mail).await?;
    Ok(false)
}

async fn dropped(deps: &Deps, caller: &Caller, mail: &Mail) -> Result<(), Error> {
    let recipient = deps.keys.keyed_hash(mail.to.as_str());
    let kind = mail.kind.as_str();
    tracing::warn!(target: "latch::mail", kind, recipient = %recipient, "mail quota reached; message dropped");
    let meta = [("kind", kind), ("recipient", recipient.as_str())];
    audit::record(
        deps,
        caller,
        AuditType::MailDropped,
        None,
        Outcome::Failure,
        &meta,
    )
    .await
}
