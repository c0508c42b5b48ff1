//! `infra/template.yaml` routes every entry of the route table to the function of the same
//! name, and nothing else; each function's policies are narrow; cfn-lint accepts the template.

use latch_core::http::ROUTES;
use latch_core::service::jobs::JOBS;
use serde_yaml_ng::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn template_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/template.yaml")
}

/// Every function, its `Policies` being the inline policy documents of its own role when it
/// names one (`Role: !GetAtt <role>.Arn`), so every policy test reads both alike.
fn functions() -> Vec<(String, Value)> {
    let template: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(template_path()).unwrap()).unwrap();
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(k, r)| {
            let mut r = r.clone();
            if let Some(role) = role_of(&r) {
                let documents: Vec<Value> =
                    template["Resources"][role.as_str()]["Properties"]["Policies"]
                        .as_sequence()
                        .unwrap()
                        .iter()
                        .map(|p| p["PolicyDocument"].clone())
                        .collect();
                r["Properties"]
                    .as_mapping_mut()
                    .unwrap()
                    .insert("Policies".into(), Value::Sequence(documents));
            }
            (k.as_str().unwrap().to_owned(), r)
        })
        .collect()
}

/// The role a function names with `Role: !GetAtt <role>.Arn`.
fn role_of(function: &Value) -> Option<String> {
    let text = serde_yaml_ng::to_string(&function["Properties"]["Role"]).ok()?;
    let role = text.trim().strip_prefix("!GetAtt ")?.strip_suffix(".Arn")?;
    Some(role.to_owned())
}

/// The function a template function serves: its `LATCH_FUNCTION`.
fn function_name<'a>(logical: &str, f: &'a Value) -> &'a str {
    f["Properties"]["Environment"]["Variables"]["LATCH_FUNCTION"]
        .as_str()
        .unwrap_or_else(|| panic!("{logical} sets no LATCH_FUNCTION"))
}

/// One build for every function: the same artifact (the one `latch-lambda` bootstrap) through
/// the same `CodeUri`, `Metadata`, handler, runtime and architecture, which is what SAM's build
/// graph groups by (`samcli/lib/build/build_graph.py`, `FunctionBuildDefinition.__eq__`), and
/// each function named by `LATCH_FUNCTION`, every name one the bootstrap serves, once.
#[test]
fn every_function_shares_one_build_and_names_what_it_serves() {
    let template: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(template_path()).unwrap()).unwrap();
    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["CodeUri"].as_str(), Some(".."));
    assert_eq!(globals["Handler"].as_str(), Some("bootstrap"));
    assert_eq!(globals["Runtime"].as_str(), Some("provided.al2023"));
    assert_eq!(globals["Architectures"][0].as_str(), Some("arm64"));
    let mut served = BTreeSet::new();
    for (logical, f) in functions() {
        for own in [
            "CodeUri",
            "Handler",
            "Runtime",
            "Architectures",
            "PackageType",
        ] {
            assert!(
                f["Properties"].get(own).is_none(),
                "{logical} sets its own {own}: SAM would build it apart"
            );
        }
        assert_eq!(
            serde_yaml_ng::to_string(&f["Metadata"]).unwrap(),
            "BuildMethod: rust-cargolambda\nBuildProperties:\n  Binary: latch-lambda\n",
            "{logical}"
        );
        assert!(
            served.insert(function_name(&logical, &f).to_owned()),
            "{logical} serves a function another one serves"
        );
    }
    let bootstrap: BTreeSet<String> = latch_functions::bootstrap::names()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        served, bootstrap,
        "the template's functions (left) and the bootstrap's (right)"
    );
    let bins = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../functions/src/bin");
    let mut sources: Vec<String> = std::fs::read_dir(bins)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    sources.sort();
    assert_eq!(
        sources,
        ["latch-lambda.rs", "latch-local.rs"],
        "one bootstrap for every function, and the local server"
    );
}

#[test]
fn the_template_routes_exactly_the_route_table_and_schedules_exactly_the_jobs() {
    let mut routed = BTreeSet::new();
    let mut scheduled = BTreeSet::new();
    for (logical, f) in functions() {
        let binary = function_name(&logical, &f);
        assert_eq!(
            f["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{logical}"
        );
        if binary == "rotate-keys" || binary == "seed-admin" {
            // Invoked by Secrets Manager through the rotation schedule, or once by hand.
            assert!(f["Properties"].get("Events").is_none(), "{logical}");
            continue;
        }
        let events = f["Properties"]["Events"].as_mapping().unwrap();
        assert_eq!(events.len(), 1, "{logical} has one trigger");
        let (_, event) = events.iter().next().unwrap();
        match event["Type"].as_str() {
            Some("HttpApi") => {
                let method = event["Properties"]["Method"].as_str().unwrap().to_owned();
                let path = event["Properties"]["Path"].as_str().unwrap().to_owned();
                assert!(
                    routed.insert((binary.to_owned(), method, path)),
                    "{logical} routes a route twice"
                );
            }
            Some("ScheduleV2") => {
                let rate = event["Properties"]["ScheduleExpression"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                assert!(
                    scheduled.insert((binary.to_owned(), rate)),
                    "{logical} twice"
                );
            }
            Some("SQS") => {
                assert_eq!(
                    binary, "mail-sender",
                    "{logical}: only mail-sender reads the queue"
                );
                assert_eq!(
                    event["Properties"]["FunctionResponseTypes"][0].as_str(),
                    Some("ReportBatchItemFailures"),
                    "{logical} reports partial batch failures"
                );
            }
            other => panic!("{logical}: unexpected trigger {other:?}"),
        }
    }
    let table: BTreeSet<(String, String, String)> = ROUTES
        .iter()
        .map(|r| (r.name.to_owned(), r.method.to_string(), r.path.to_owned()))
        .collect();
    assert_eq!(
        routed, table,
        "template routes (left) differ from the route table (right)"
    );
    let jobs: BTreeSet<(String, String)> = JOBS
        .iter()
        .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
        .collect();
    assert_eq!(
        scheduled, jobs,
        "template schedules (left) differ from the jobs (right)"
    );
}

#[test]
fn no_function_gets_wildcard_permissions() {
    for (logical, f) in functions() {
        let policies = serde_yaml_ng::to_string(&f["Properties"]["Policies"]).unwrap();
        assert!(
            !policies.contains("dynamodb:*") && !policies.contains("ses:*"),
            "{logical}: {policies}"
        );
        // Only actions that take no resource at all may name `*`: Route 53's zone creation and
        // its lookup by name, and DynamoDB's list of backups.
        let unscoped = [
            "route53:CreateHostedZone",
            "route53:ListHostedZonesByName",
            "dynamodb:ListBackups",
        ];
        for policy in f["Properties"]["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            for statement in policy["Statement"].as_sequence().into_iter().flatten() {
                if statement["Resource"].as_str() != Some("*") {
                    continue;
                }
                let actions: Vec<&str> = match &statement["Action"] {
                    Value::String(one) => vec![one.as_str()],
                    many => many
                        .as_sequence()
                        .into_iter()
                        .flatten()
                        .filter_map(|a| a.as_str())
                        .collect(),
                };
                assert!(
                    actions.iter().all(|a| unscoped.contains(a)),
                    "{logical}: {actions:?} on every resource"
                );
            }
        }
        assert!(!policies.contains("Scan"), "{logical} may not scan tables");
    }
}

fn resources() -> Value {
    let template: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(template_path()).unwrap()).unwrap();
    template["Resources"].clone()
}

/// Mail goes through the queue: handlers may only enqueue, mail-sender alone sends, a message
/// that keeps failing moves to a dead-letter queue, and mail waiting there raises an alarm.
#[test]
fn handlers_enqueue_mail_and_only_mail_sender_sends_it_with_a_dead_letter_queue_and_its_alarm() {
    let template: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(template_path()).unwrap()).unwrap();
    let globals = &template["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(globals["LATCH_MAIL"].as_str(), Some("sqs"));
    assert_eq!(
        serde_yaml_ng::to_string(&globals["LATCH_MAIL_QUEUE_URL"])
            .unwrap()
            .trim(),
        "!Ref MailQueue"
    );
    for (logical, f) in functions() {
        let policies = serde_yaml_ng::to_string(&f["Properties"]["Policies"]).unwrap();
        let binary = function_name(&logical, &f);
        assert_eq!(
            policies.contains("ses:SendEmail"),
            binary == "mail-sender",
            "{logical}: only mail-sender may send through SES"
        );
    }
    let resources = resources();
    let queue = &resources["MailQueue"]["Properties"];
    assert_eq!(
        serde_yaml_ng::to_string(&queue["RedrivePolicy"]["deadLetterTargetArn"])
            .unwrap()
            .trim(),
        "!GetAtt MailDeadLetterQueue.Arn"
    );
    assert!(queue["RedrivePolicy"]["maxReceiveCount"].as_u64().unwrap() >= 3);
    let sender_timeout = resources["MailSenderFunction"]["Properties"]["Timeout"]
        .as_u64()
        .unwrap();
    assert!(
        queue["VisibilityTimeout"].as_u64().unwrap() >= 6 * sender_timeout,
        "the visibility timeout is six times mail-sender's"
    );
    for q in ["MailQueue", "MailDeadLetterQueue"] {
        assert_eq!(
            serde_yaml_ng::to_string(&resources[q]["Properties"]["KmsMasterKeyId"])
                .unwrap()
                .trim(),
            "!Ref MailQueueKey",
            "{q} is encrypted under the stack's own key"
        );
    }
    for (logical, f) in functions() {
        let policies = serde_yaml_ng::to_string(&f["Properties"]["Policies"]).unwrap();
        let binary = function_name(&logical, &f);
        let handles_mail = policies.contains("sqs:SendMessage") || binary == "mail-sender";
        assert_eq!(
            policies.contains("MailQueueKey"),
            handles_mail,
            "{logical}: only the functions that send or deliver mail may use the queue's key"
        );
    }
    let role = &resources["MailSenderRole"]["Properties"];
    let managed = serde_yaml_ng::to_string(&role["ManagedPolicyArns"]).unwrap();
    assert_eq!(
        role["ManagedPolicyArns"].as_sequence().unwrap().len(),
        2,
        "mail-sender's role holds logging and tracing only: {managed}"
    );
    assert!(
        managed.contains("AWSLambdaBasicExecutionRole")
            && managed.contains("AWSXRayDaemonWriteAccess"),
        "{managed}"
    );
    let alarm = &resources["MailDeadLetterAlarm"]["Properties"];
    assert_eq!(
        alarm["MetricName"].as_str(),
        Some("ApproximateNumberOfMessagesVisible")
    );
    assert_eq!(
        serde_yaml_ng::to_string(&alarm["Dimensions"][0]["Value"])
            .unwrap()
            .trim(),
        "!GetAtt MailDeadLetterQueue.QueueName"
    );
    assert!(
        alarm["AlarmActions"]
            .as_sequence()
            .is_some_and(|a| !a.is_empty())
    );
}

#[test]
fn cfn_lint_accepts_the_template() {
    let lint = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/cfn-lint");
    assert!(
        lint.exists(),
        "cfn-lint is missing from .venv: run scripts/test.sh, which installs it"
    );
    let out = std::process::Command::new(lint)
        .arg(template_path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The documented way to put API Gateway in front of a team's own REST API: its JWT authorizer
/// accepts the algorithm Latch's discovery document names and checks Latch's default audience.
/// cfn-lint (1.51 here, and 1.58, the newest) predates the REST API JWT authorizer: its one
/// finding must be the unknown `JwtConfiguration`, so anything else wrong in the snippet fails.
#[test]
fn the_rest_api_jwt_authorizer_snippet_lints_and_matches_discovery() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let snippet = root.join("infra/examples/rest-api-jwt-authorizer.yaml");
    let lint = root.join(".venv/bin/cfn-lint");
    assert!(
        lint.exists(),
        "cfn-lint is missing from .venv: run scripts/test.sh, which installs it"
    );
    let out = std::process::Command::new(lint)
        .args(["-f", "parseable"])
        .arg(&snippet)
        .output()
        .unwrap();
    let findings: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split(':').skip(5).collect::<Vec<_>>().join(":"))
        .collect();
    assert_eq!(
        findings,
        ["E3002:Additional properties are not allowed ('JwtConfiguration' was unexpected)"],
        "cfn-lint on the snippet: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&snippet).unwrap();
    let t: Value = serde_yaml_ng::from_str(&text.replace('!', "")).unwrap();
    let jwt = &t["Resources"]["LatchAuthorizer"]["Properties"]["JwtConfiguration"];
    let settings = latch_core::service::Settings::defaults("https://id.example.com");
    let discovery = latch_core::http::endpoints::system::discovery::Discovery::of(&settings);
    let algorithms: Vec<&str> = jwt["DefaultAlgorithms"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(algorithms, discovery.id_token_signing_alg_values_supported);
    assert_eq!(
        t["Parameters"]["LatchAudience"]["Default"].as_str(),
        Some(settings.audience.as_str())
    );
    let method = &t["Resources"]["GetOrders"]["Properties"];
    assert_eq!(method["AuthorizationType"].as_str(), Some("JWT"));
}

/// samconfig.toml holds every template parameter that has a default, at that default; the
/// others are the ones `sam deploy --guided` asks for.
#[test]
fn the_samconfig_holds_every_parameter_that_has_a_default() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let samconfig = std::fs::read_to_string(root.join("samconfig.toml")).unwrap();
    let overrides: std::collections::BTreeMap<String, String> = samconfig
        .split("parameter_overrides = [")
        .nth(1)
        .expect("samconfig.toml has parameter_overrides")
        .split(']')
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix('"')?
                .strip_suffix("\",")?
                .split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect();
    let template: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(template_path()).unwrap()).unwrap();
    let mut with_default = std::collections::BTreeMap::new();
    let mut asked = Vec::new();
    for (name, p) in template["Parameters"].as_mapping().unwrap() {
        let name = name.as_str().unwrap().to_owned();
        match &p["Default"] {
            Value::Null => asked.push(name),
            Value::String(v) => drop(with_default.insert(name, v.clone())),
            Value::Number(n) => drop(with_default.insert(name, n.to_string())),
            other => panic!("{name}: default {other:?}"),
        }
    }
    assert_eq!(overrides, with_default);
    assert_eq!(asked, ["PublicUrl", "MailFrom", "MailIdentity"]);
}

#[test]
fn sam_validate_lint_accepts_the_template_with_the_samconfig() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let sam = root.join(".venv-sam/bin/sam");
    assert!(
        sam.exists(),
        "the SAM CLI is missing from .venv-sam: run scripts/test.sh, which installs it"
    );
    // `sam validate` reads samconfig.toml (the template's path, `lint = true`) from the
    // project's root, offline: no AWS account is needed.
    let out = std::process::Command::new(sam)
        .arg("validate")
        .current_dir(&root)
        .env("SAM_CLI_TELEMETRY", "0")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && printed.contains("is a valid SAM Template"),
        "sam validate --lint:\n{printed}"
    );
}

/// A function may read the keys secret only if its route or job uses a key: health, openapi,
/// backup-tables and mail-sender hold none (they start without reading the secret).
#[test]
fn only_the_functions_that_use_keys_may_read_the_keys_secret() {
    for (logical, f) in functions() {
        let binary = function_name(&logical, &f);
        let policies = serde_yaml_ng::to_string(&f["Properties"]["Policies"]).unwrap();
        let reads_keys = policies.contains("secretsmanager:")
            && (policies.contains("${KeysSecretName}") || policies.contains("Resource: '*'"));
        let keyless = !latch_functions::needs_keys(binary);
        assert_eq!(
            reads_keys, !keyless,
            "{logical} ({binary}): keys secret readable = {reads_keys}"
        );
    }
}

/// Attribute definitions (name, type) and indexes (name, hash key, range key), sorted.
type TableShape = (Vec<(String, String)>, Vec<(String, String, String)>);

/// A table's shape as the template declares it, in the terms of `schema::TABLES`.
fn declared_table(props: &Value) -> TableShape {
    let pairs = |v: &Value, a: &str, b: &str| -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = v
            .as_sequence()
            .map(|s| s.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|e| {
                (
                    e[a].as_str().unwrap().to_owned(),
                    e[b].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        out.sort();
        out
    };
    let attributes = pairs(
        &props["AttributeDefinitions"],
        "AttributeName",
        "AttributeType",
    );
    let mut indexes: Vec<(String, String, String)> = props["GlobalSecondaryIndexes"]
        .as_sequence()
        .map(|s| s.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|gsi| {
            assert_eq!(gsi["Projection"]["ProjectionType"].as_str(), Some("ALL"));
            let keys = &gsi["KeySchema"];
            assert_eq!(keys[0]["KeyType"].as_str(), Some("HASH"));
            assert_eq!(keys[1]["KeyType"].as_str(), Some("RANGE"));
            let name = |i: usize| keys[i]["AttributeName"].as_str().unwrap().to_owned();
            (
                gsi["IndexName"].as_str().unwrap().to_owned(),
                name(0),
                name(1),
            )
        })
        .collect();
    indexes.sort();
    (attributes, indexes)
}

#[test]
fn the_code_makes_exactly_the_tables_the_template_declares() {
    use latch_core::adapters::dynamo::schema::{KEY, KeyKind, TABLES, TTL_ATTRIBUTE};
    let template: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(template_path()).unwrap()).unwrap();
    let resources = template["Resources"].as_mapping().unwrap();
    let declared = resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::DynamoDB::Table"))
        .count();
    assert_eq!(
        declared,
        TABLES.len(),
        "the template declares the code's tables, no more"
    );
    let kind = |k: KeyKind| if k == KeyKind::S { "S" } else { "N" }.to_owned();
    for table in TABLES {
        let mut role = table.role.to_owned();
        role[..1].make_ascii_uppercase();
        let logical = format!("{role}Table");
        let props = &template["Resources"][logical.as_str()]["Properties"];
        assert_eq!(
            props["BillingMode"].as_str(),
            Some("PAY_PER_REQUEST"),
            "{logical}"
        );
        let key = &props["KeySchema"];
        assert_eq!(key.as_sequence().map(Vec::len), Some(1), "{logical}");
        assert_eq!(key[0]["AttributeName"].as_str(), Some(KEY), "{logical}");
        assert_eq!(key[0]["KeyType"].as_str(), Some("HASH"), "{logical}");
        let ttl = &props["TimeToLiveSpecification"];
        assert_eq!(
            ttl["AttributeName"].as_str(),
            Some(TTL_ATTRIBUTE),
            "{logical}"
        );
        assert_eq!(ttl["Enabled"].as_bool(), Some(true), "{logical}");

        let mut attributes = vec![(KEY.to_owned(), "S".to_owned())];
        let mut indexes = Vec::new();
        for index in table.indexes {
            attributes.push((index.hash.0.to_owned(), kind(index.hash.1)));
            attributes.push((index.range.0.to_owned(), kind(index.range.1)));
            indexes.push((
                index.name.to_owned(),
                index.hash.0.to_owned(),
                index.range.0.to_owned(),
            ));
        }
        attributes.sort();
        // Indexes share attributes (`atKey`, `directory`); each is declared once.
        attributes.dedup();
        indexes.sort();
        assert_eq!(declared_table(props), (attributes, indexes), "{logical}");
    }
}

#[test]
fn the_keys_rotate_on_a_schedule_through_a_function_allowed_only_that_secret() {
    let template: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(template_path()).unwrap()).unwrap();
    let resources = template["Resources"].as_mapping().unwrap();
    let of_type = |t: &str| {
        resources
            .iter()
            .filter(|(_, r)| r["Type"].as_str() == Some(t))
            .map(|(k, r)| (k.as_str().unwrap().to_owned(), r.clone()))
            .collect::<Vec<_>>()
    };
    let schedules = of_type("AWS::SecretsManager::RotationSchedule");
    assert_eq!(schedules.len(), 1);
    let schedule = format!("{:?}", schedules[0].1["Properties"]);
    assert!(schedule.contains("RotateKeysFunction.Arn"), "{schedule}");
    assert!(schedule.contains("${KeyRotationDays} days"), "{schedule}");
    assert_eq!(template["Parameters"]["KeyRotationDays"]["Default"], 30);
    let function = &resources["RotateKeysFunction"]["Properties"];
    let statements = function["Policies"][0]["Statement"].as_sequence().unwrap();
    assert_eq!(statements.len(), 1, "the secret and nothing else");
    let actions: Vec<&str> = statements[0]["Action"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue",
            "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecretVersionStage"
        ]
    );
    let resource = format!("{:?}", statements[0]["Resource"]);
    assert!(
        resource.contains(":secret:${KeysSecretName}-??????"),
        "{resource}"
    );
    let permissions = of_type("AWS::Lambda::Permission");
    assert!(permissions.iter().any(|(_, p)| {
        p["Properties"]["Principal"] == "secretsmanager.amazonaws.com"
            && format!("{:?}", p["Properties"]["FunctionName"]).contains("RotateKeysFunction")
    }));
}

/// The statements of `f`'s policies whose effect is `effect` and whose actions include `action`.
fn statements_with<'a>(f: &'a Value, effect: &str, action: &str) -> Vec<&'a Value> {
    f["Properties"]["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|p| p["Statement"].as_sequence().into_iter().flatten())
        .filter(|st| st["Effect"].as_str() == Some(effect))
        .filter(|st| serde_yaml_ng::to_string(&st["Action"]).is_ok_and(|a| a.contains(action)))
        .collect()
}

/// Tenants' SES identities are tagged, and tagging or deleting is allowed only on tagged ones;
/// the operator's own sending identity is denied outright to every function that may tag or
/// delete, so no tag put on it can make it deletable. The recovery job undoes and never makes.
#[test]
fn no_provisioning_function_may_tag_or_delete_the_operator_s_identity_and_recovery_makes_no_zone() {
    let operator = "identity/${MailIdentity}";
    let mut guarded = 0;
    for (logical, f) in functions() {
        let risky = ["ses:TagResource", "ses:DeleteEmailIdentity"]
            .iter()
            .any(|a| !statements_with(&f, "Allow", a).is_empty());
        if !risky {
            continue;
        }
        let denied = statements_with(&f, "Deny", "ses:TagResource");
        let names_it = |st: &&Value| {
            serde_yaml_ng::to_string(&st["Resource"]).is_ok_and(|r| r.contains(operator))
        };
        assert!(
            denied.iter().any(names_it)
                && statements_with(&f, "Deny", "ses:DeleteEmailIdentity")
                    .iter()
                    .any(names_it),
            "{logical} may tag or delete SES identities but is not denied the operator's"
        );
        guarded += 1;
    }
    assert_eq!(
        guarded, 5,
        "the provisioning functions that touch SES identities"
    );
    let (_, recovery) = functions()
        .into_iter()
        .find(|(logical, f)| function_name(logical, f) == "recover-provisioning")
        .unwrap();
    assert!(statements_with(&recovery, "Allow", "route53:CreateHostedZone").is_empty());
    assert!(!statements_with(&recovery, "Allow", "route53:DeleteHostedZone").is_empty());
}

/// Route 53 grants reach `hostedzone/*`: the operator's own zones too. Every function that may
/// change or delete a zone is denied both on the zones the operator names
/// (`OperatorHostedZoneArns`), and an explicit Deny wins over the Allow.
#[test]
fn no_provisioning_function_may_change_or_delete_the_operator_s_zones() {
    let template: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(template_path()).unwrap()).unwrap();
    assert_eq!(
        template["Parameters"]["OperatorHostedZoneArns"]["Type"].as_str(),
        Some("CommaDelimitedList")
    );
    let mut guarded = 0;
    for (logical, f) in functions() {
        for action in [
            "route53:ChangeResourceRecordSets",
            "route53:DeleteHostedZone",
        ] {
            if statements_with(&f, "Allow", action).is_empty() {
                continue;
            }
            let denied = statements_with(&f, "Deny", action).iter().any(|st| {
                serde_yaml_ng::to_string(&st["Resource"])
                    .is_ok_and(|r| r.contains("OperatorHostedZoneArns"))
            });
            assert!(
                denied,
                "{logical} may {action} but is not denied the operator's zones"
            );
            guarded += 1;
        }
    }
    assert!(guarded >= 10, "the zone-changing functions: {guarded}");
}

/// Every `LATCH_*` variable the template sets, globally or per function, is one the
/// configuration knows: an unknown one stops a function's init (as `LATCH_FUNCTION` once did).
#[test]
fn every_variable_the_template_sets_is_one_the_configuration_knows() {
    let template: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(template_path()).unwrap()).unwrap();
    let known = |name: &str| {
        latch_core::config::VARIABLES
            .iter()
            .any(|(known, _, _)| *known == name)
    };
    let mut seen = 0;
    let globals = template["Globals"]["Function"]["Environment"]["Variables"].clone();
    let mut sets = vec![("Globals".to_owned(), globals)];
    for (logical, f) in functions() {
        sets.push((logical, f["Properties"]["Environment"]["Variables"].clone()));
    }
    for (owner, vars) in sets {
        for (name, _) in vars.as_mapping().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if name.starts_with("LATCH_") {
                assert!(
                    known(name),
                    "{owner} sets {name}, which no function's configuration knows"
                );
                seen += 1;
            }
        }
    }
    assert!(
        seen > 64,
        "every function sets LATCH_FUNCTION at least: {seen}"
    );
}
