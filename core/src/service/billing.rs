//! Plans, spend caps and the spend ledger. `charge` is the one place a charge is checked and
//! recorded: the billing route calls it, and so will metered actions (provisioning).

use super::authn::Authenticated;
use super::{Caller, Deps, after_commit, audit, mail};
use crate::Error;
use crate::domain::billing::{fits, period_of, plan_name};
use crate::domain::{AuditType, Charge, FieldError, Mail, Outcome, Plan, User, UserId};
use crate::ports::ChargeOutcome;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The longest idempotency key and description accepted.
const MAX_KEY_CHARS: usize = 200;
const MAX_DESCRIPTION_CHARS: usize = 500;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlanView {
    #[schema(example = "FREE")]
    pub plan: Plan,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub since: OffsetDateTime,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanRequest {
    /// `FREE` or `PRO`.
    #[schema(example = "PRO")]
    pub plan: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LimitsView {
    #[schema(example = 50000)]
    pub monthly_spend_cap_cents: u64,
    #[schema(example = 1200)]
    pub spent_this_month_cents: u64,
    /// The UTC month, `YYYY-MM`.
    #[schema(example = "2026-12")]
    pub period: String,
    /// The cap is a hard stop: a charge past it is refused, never billed.
    pub hard_stop: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitsRequest {
    /// Whole cents, from 0 to the plan's maximum.
    #[schema(value_type = i64, example = 50000)]
    pub monthly_spend_cap_cents: serde_json::Number,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UsageRequest {
    #[schema(example = "01JD8X3V6Q9E4ZK2M7T5R1W0YB")]
    pub user_id: String,
    /// Whole cents, more than 0.
    #[schema(value_type = i64, example = 500)]
    pub amount_cents: serde_json::Number,
    /// Names the charge: the same key again is the same charge, never a second one.
    #[schema(example = "invoice-2026-12-0042")]
    pub idempotency_key: String,
    #[schema(example = "Database, December")]
    pub description: String,
}

/// GET /v1/account/plan
pub fn plan(auth: &Authenticated) -> PlanView {
    view_of(&auth.user)
}

fn view_of(user: &User) -> PlanView {
    PlanView {
        plan: user.plan,
        since: user.billing.plan_since.unwrap_or(user.created_at),
    }
}

/// POST /v1/account/plan: a downgrade that would leave more resources than the new plan allows
/// is 402 `plan_quota_exceeded`; the spend cap comes down to the new plan's maximum.
pub async fn set_plan(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    req: PlanRequest,
) -> Result<PlanView, Error> {
    let plan = parse_plan(&req)?;
    change_plan(deps, caller, &auth.user, plan, Some(&auth.user.id)).await
}

/// The plan a request names (422 `unknown_plan` otherwise).
pub fn parse_plan(req: &PlanRequest) -> Result<Plan, Error> {
    Plan::parse(&req.plan).ok_or_else(|| {
        let why = FieldError::new("plan", "unknown_plan", "Use FREE or PRO.");
        Error::Validation(vec![why])
    })
}

/// Moves `user` to `plan` (by `actor`), unless its resources do not fit the new plan.
pub async fn change_plan(
    deps: &Deps,
    caller: &Caller,
    user: &User,
    plan: Plan,
    actor: Option<&UserId>,
) -> Result<PlanView, Error> {
    if user.plan == plan {
        return Ok(view_of(user));
    }
    let rules = deps.settings.plans.rules(plan);
    if !fits(&user.billing.resources, rules) {
        return Err(Error::PlanQuotaExceeded);
    }
    let mut next = user.clone();
    next.plan = plan;
    next.billing.plan_since = Some(deps.clock.now());
    next.billing.monthly_spend_cap_cents = next
        .billing
        .monthly_spend_cap_cents
        .min(rules.max_spend_cap_cents);
    next.next_write();
    if !deps.users.save_user(&next, user.version, None).await? {
        return Err(Error::Conflict);
    }
    let meta = [("from", plan_name(user.plan)), ("to", plan_name(plan))];
    let (kind, uid) = (AuditType::PlanChanged, Some(&user.id));
    let event = audit::record_by(deps, caller, actor, kind, uid, Outcome::Success, &meta);
    after_commit(deps, caller, "plan audit", event).await;
    Ok(view_of(&next))
}

/// GET /v1/account/limits: the cap from the account, this month's spend in one read.
pub async fn limits(deps: &Deps, auth: &Authenticated) -> Result<LimitsView, Error> {
    let period = period_of(deps.clock.now());
    let spent = deps.ledger.spent(&auth.user.id, &period).await?;
    Ok(LimitsView {
        monthly_spend_cap_cents: auth.user.billing.monthly_spend_cap_cents,
        spent_this_month_cents: spent,
        period,
        hard_stop: true,
    })
}

/// POST /v1/account/limits
pub async fn set_limits(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    req: LimitsRequest,
) -> Result<LimitsView, Error> {
    change_limits(deps, caller, &auth.user, req, Some(&auth.user.id)).await
}

/// Sets `user`'s monthly cap (by `actor`), within its plan's maximum.
pub async fn change_limits(
    deps: &Deps,
    caller: &Caller,
    user: &User,
    req: LimitsRequest,
    actor: Option<&UserId>,
) -> Result<LimitsView, Error> {
    let max = deps.settings.plans.rules(user.plan).max_spend_cap_cents;
    let field = "monthlySpendCapCents";
    let cap = cents(&req.monthly_spend_cap_cents, field)?;
    if cap > max {
        let why = FieldError::new(
            field,
            "above_plan_maximum",
            format!(
                "The {} plan allows at most {max} cents.",
                plan_name(user.plan)
            ),
        );
        return Err(Error::Validation(vec![why]));
    }
    if cap != user.billing.monthly_spend_cap_cents {
        let mut next = user.clone();
        next.billing.monthly_spend_cap_cents = cap;
        next.next_write();
        if !deps.users.save_user(&next, user.version, None).await? {
            return Err(Error::Conflict);
        }
        let (from, to) = (
            user.billing.monthly_spend_cap_cents.to_string(),
            cap.to_string(),
        );
        let meta = [("fromCents", from.as_str()), ("toCents", to.as_str())];
        let (kind, uid) = (AuditType::LimitsChanged, Some(&user.id));
        let event = audit::record_by(deps, caller, actor, kind, uid, Outcome::Success, &meta);
        after_commit(deps, caller, "limits audit", event).await;
    }
    let period = period_of(deps.clock.now());
    Ok(LimitsView {
        monthly_spend_cap_cents: cap,
        spent_this_month_cents: deps.ledger.spent(&user.id, &period).await?,
        period,
        hard_stop: true,
    })
}

/// A whole number of cents from a JSON number: 0 ..= i64::MAX, no fraction, no sign.
fn cents(raw: &serde_json::Number, field: &str) -> Result<u64, Error> {
    let bad =
        |code: &str, message: &str| Error::Validation(vec![FieldError::new(field, code, message)]);
    match raw.as_u64() {
        Some(v) if i64::try_from(v).is_ok() => Ok(v),
        Some(_) => Err(bad("too_large", "At most 9223372036854775807 cents.")),
        None if raw.as_i64().is_some() => Err(bad("negative", "Cents cannot be negative.")),
        None if raw.as_f64().is_some_and(|f| f.abs() >= 9.2e18) => {
            Err(bad("too_large", "At most 9223372036854775807 cents."))
        }
        None => Err(bad("not_whole_cents", "Use a whole number of cents.")),
    }
}

/// What a charge came to: the charge, and whether this call recorded it (false: a replay).
#[derive(Debug)]
pub struct Charged {
    pub charge: Charge,
    pub recorded_now: bool,
}

/// POST /v1/billing/usage: an administrator records a charge for a user.
pub async fn record_usage(
    deps: &Deps,
    caller: &Caller,
    auth: &Authenticated,
    req: UsageRequest,
) -> Result<Charged, Error> {
    let mut problems = Vec::new();
    let amount = match cents(&req.amount_cents, "amountCents") {
        Ok(0) => {
            problems.push(FieldError::new(
                "amountCents",
                "not_positive",
                "Charge at least 1 cent.",
            ));
            0
        }
        Ok(v) => v,
        Err(Error::Validation(mut e)) => {
            problems.append(&mut e);
            0
        }
        Err(e) => return Err(e),
    };
    // Taken as sent (never trimmed): it names the charge, and is echoed back in it.
    let key = req.idempotency_key.as_str();
    if !crate::domain::text::printable(key, MAX_KEY_CHARS) {
        let message = format!("1 to {MAX_KEY_CHARS} printable characters.");
        problems.push(FieldError::new("idempotencyKey", "invalid", message));
    }
    let description = req.description.as_str();
    if !crate::domain::text::printable(description, MAX_DESCRIPTION_CHARS) {
        let message = format!("1 to {MAX_DESCRIPTION_CHARS} printable characters.");
        problems.push(FieldError::new("description", "invalid", message));
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let user = UserId::parse(req.user_id.trim()).ok_or(Error::NotFound)?;
    charge(
        deps,
        caller,
        &user,
        amount,
        key,
        description,
        Some(&auth.user.id),
    )
    .await
}

/// Charges `amount_cents` to `user` under `idempotency_key`, within this month's cap: the one
/// rule every charge goes through. A replayed key answers the first charge (409 `conflict`
/// when it asked for another amount or description); a charge past the cap is 402
/// `spend_cap_reached`, recorded nowhere, audited, and the owner is told once a month.
pub async fn charge(
    deps: &Deps,
    caller: &Caller,
    user: &UserId,
    amount_cents: u64,
    idempotency_key: &str,
    description: &str,
    actor: Option<&UserId>,
) -> Result<Charged, Error> {
    let now = deps.clock.now();
    let mut account = deps.users.user_by_id(user).await?.ok_or(Error::NotFound)?;
    let charge = Charge {
        id: crate::crypto::random::ulid(now),
        user_id: account.id.clone(),
        amount_cents,
        idempotency_key: idempotency_key.to_owned(),
        description: description.to_owned(),
        period: period_of(now),
        recorded_at: now,
        actor_id: actor.cloned(),
    };
    // The cap is the account's at the version read; the ledger checks that version in the
    // charge's own write, so a cap lowered meanwhile is never charged past.
    let mut outcome = ChargeOutcome::AccountChanged;
    for _ in 0..3 {
        let cap = account.billing.monthly_spend_cap_cents;
        outcome = deps.ledger.charge(&charge, cap, account.version).await?;
        if outcome != ChargeOutcome::AccountChanged {
            break;
        }
        account = deps.users.user_by_id(user).await?.ok_or(Error::NotFound)?;
    }
    let cap = account.billing.monthly_spend_cap_cents;
    match outcome {
        ChargeOutcome::Recorded => {
            let amount = amount_cents.to_string();
            let meta = [
                ("chargeId", charge.id.as_str()),
                ("amountCents", amount.as_str()),
                ("period", charge.period.as_str()),
            ];
            let kind = AuditType::SpendRecorded;
            let outcome = Outcome::Success;
            let event = audit::record_by(deps, caller, actor, kind, Some(user), outcome, &meta);
            after_commit(deps, caller, "spend audit", event).await;
            Ok(Charged {
                charge,
                recorded_now: true,
            })
        }
        ChargeOutcome::Replayed(first) if first.same_request(&charge) => Ok(Charged {
            charge: first,
            recorded_now: false,
        }),
        ChargeOutcome::Replayed(_) | ChargeOutcome::AccountChanged => Err(Error::Conflict),
        ChargeOutcome::CapReached => {
            let (amount, capped) = (amount_cents.to_string(), cap.to_string());
            let meta = [
                ("amountCents", amount.as_str()),
                ("capCents", capped.as_str()),
                ("period", charge.period.as_str()),
            ];
            let kind = AuditType::SpendCapReached;
            let outcome = Outcome::Failure;
            audit::record_by(deps, caller, actor, kind, Some(user), outcome, &meta).await?;
            if deps.ledger.claim_cap_notice(user, &charge.period).await? {
                // Claimed once per month: a notice that fails now is logged and counted, and
                // the 402 stands either way.
                let notice = Mail::spend_cap_reached(account.email.clone(), &charge.period, cap);
                let sent = mail::send(deps, caller, &notice);
                after_commit(deps, caller, "spend cap notice", sent).await;
            }
            Err(Error::SpendCapReached)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(raw: &str) -> serde_json::Number {
        serde_json::from_str(raw).unwrap()
    }

    #[test]
    fn cents_are_whole_non_negative_and_fit_i64() {
        assert_eq!(cents(&number("0"), "f").unwrap(), 0);
        assert_eq!(cents(&number("1000000"), "f").unwrap(), 1_000_000);
        assert_eq!(
            cents(&number("9223372036854775807"), "f").unwrap(),
            9_223_372_036_854_775_807
        );
        for (raw, code) in [
            ("-1", "negative"),
            ("1.5", "not_whole_cents"),
            ("1e3", "not_whole_cents"),
            ("9223372036854775808", "too_large"),
            ("1e40", "too_large"),
            ("18446744073709551616", "too_large"),
        ] {
            match cents(&number(raw), "f") {
                Err(Error::Validation(e)) => assert_eq!(e[0].code, code, "{raw}"),
                other => panic!("{raw}: {other:?}"),
            }
        }
    }
}
