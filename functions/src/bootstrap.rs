//! The one Lambda bootstrap every function runs: the template gives each function the same
//! artifact (one `CodeUri`, `Metadata` and architecture, so `sam build` compiles and links it
//! once) and names the function in `LATCH_FUNCTION`; this picks what to serve from that name.

/// The variable naming the function a process serves (the template sets it per function).
pub const FUNCTION_VARIABLE: &str = "LATCH_FUNCTION";

/// The functions that are neither a route nor a scheduled job.
pub const OTHER_FUNCTIONS: &[&str] = &["mail-sender", "rotate-keys", "seed-admin"];

/// What one function is: a route of the table, a scheduled job, or one of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Route(&'static str),
    Job(&'static str),
    MailSender,
    RotateKeys,
    SeedAdmin,
}

/// Every function name the bootstrap serves: the route table's, the jobs', then the others.
pub fn names() -> impl Iterator<Item = &'static str> {
    latch_core::http::ROUTES
        .iter()
        .map(|r| r.name)
        .chain(latch_core::service::jobs::JOBS.iter().map(|(n, _)| *n))
        .chain(OTHER_FUNCTIONS.iter().copied())
}

/// The function `value` (the variable's value, if set) names, or the one line that says why
/// none is: the init stops with it.
pub fn function_named(value: Option<&str>) -> Result<Function, String> {
    let Some(name) = value.map(str::trim).filter(|n| !n.is_empty()) else {
        return Err(format!(
            "{FUNCTION_VARIABLE} is not set: it names the function this bootstrap serves"
        ));
    };
    let job = latch_core::service::jobs::JOBS
        .iter()
        .find(|(n, _)| *n == name);
    Ok(match (latch_core::http::routes::by_name(name), job, name) {
        (Some(route), _, _) => Function::Route(route.name),
        (None, Some((job, _)), _) => Function::Job(job),
        (None, None, "mail-sender") => Function::MailSender,
        (None, None, "rotate-keys") => Function::RotateKeys,
        (None, None, "seed-admin") => Function::SeedAdmin,
        (None, None, _) => {
            return Err(format!(
                "{FUNCTION_VARIABLE}={name:?} names no function of Latch's (a route, a job, mail-sender, rotate-keys or seed-admin)"
            ));
        }
    })
}

/// Runs the function named in the environment until the runtime stops it.
pub async fn run() -> Result<(), lambda_http::Error> {
    let value = std::env::var(FUNCTION_VARIABLE).ok();
    let function = function_named(value.as_deref())?;
    match function {
        Function::Route(name) => crate::lambda::run(name).await,
        Function::Job(name) => crate::job::run(name).await,
        Function::MailSender => crate::mail_sender::run().await,
        Function::RotateKeys => crate::rotation::run().await,
        Function::SeedAdmin => crate::seed_admin::run().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_job_and_other_function_is_served_by_its_name() {
        assert_eq!(function_named(Some("login")), Ok(Function::Route("login")));
        assert_eq!(function_named(Some(" me ")), Ok(Function::Route("me")));
        assert_eq!(
            function_named(Some("unlock-accounts")),
            Ok(Function::Job("unlock-accounts"))
        );
        assert_eq!(
            function_named(Some("mail-sender")),
            Ok(Function::MailSender)
        );
        assert_eq!(
            function_named(Some("rotate-keys")),
            Ok(Function::RotateKeys)
        );
        assert_eq!(function_named(Some("seed-admin")), Ok(Function::SeedAdmin));
        let all: Vec<_> = names().collect();
        assert_eq!(all.len(), latch_core::http::ROUTES.len() + 4 + 3);
        for name in &all {
            assert!(function_named(Some(name)).is_ok(), "{name}");
        }
        let mut unique = all.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), all.len(), "no name serves two functions");
    }

    #[test]
    fn a_missing_or_unknown_name_stops_the_init_with_one_line_naming_it() {
        for missing in [None, Some(""), Some("  ")] {
            let line = function_named(missing).unwrap_err();
            assert!(line.contains("LATCH_FUNCTION is not set"), "{line}");
            assert!(!line.contains('\n'));
        }
        let line = function_named(Some("logn")).unwrap_err();
        assert!(
            line.contains("LATCH_FUNCTION=\"logn\" names no function"),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }
}
