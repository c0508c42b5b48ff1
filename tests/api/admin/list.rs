//! GET /v1/admin/users and /v1/admin/users/{id}: filters, orders, stable pages, bad input.

use crate::support::{STRONG_PASSWORD, moto, on_both_stores};
use latch_core::domain::Role;
use serde_json::Value;

fn emails(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_account_list_filters_orders_and_pages_stably_while_accounts_are_added() {
    for (app, _clock) in on_both_stores(&[]).await {
        let (_, admin, _) = app.signed_in_with(&[Role::Admin]).await;
        let tag = moto::unique("list").to_lowercase();
        let mut made = Vec::new();
        for name in ["mia", "ann", "zoe", "bea", "kim"] {
            let email = format!("{tag}-{name}@example.com");
            assert_eq!(app.register(&email, STRONG_PASSWORD).await.status, 202);
            made.push(email);
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        app.update_account(&made[1], |u| u.email_verified = true)
            .await;
        app.update_account(&made[2], |u| u.email_verified = true)
            .await;
        app.grant(&made[2], &[Role::Support]).await;
        // Locked by an administrator: status `locked`, whatever else holds.
        let kim = app.account(&made[4]).await.id;
        let lock = app
            .admin_post(
                &format!("/v1/admin/users/{kim}/lock"),
                &admin,
                Some(serde_json::json!({"reason": "List test"})),
            )
            .await;
        assert_eq!(lock.status, 200, "{}", lock.body);

        let base = format!(
            "/v1/admin/users?email={}",
            super::urlencoding(&tag.to_uppercase())
        );
        let created = app.all_pages(&format!("{base}&limit=2"), &admin).await;
        assert_eq!(
            emails(&created),
            made,
            "creation order; the prefix matched lower-cased"
        );
        let newest = app
            .all_pages(&format!("{base}&sort=-createdAt&limit=3"), &admin)
            .await;
        let mut reversed = made.clone();
        reversed.reverse();
        assert_eq!(emails(&newest), reversed);
        let by_email = app
            .all_pages(&format!("{base}&sort=email&limit=1"), &admin)
            .await;
        let mut sorted = made.clone();
        sorted.sort();
        assert_eq!(emails(&by_email), sorted);
        for (status, expected) in [
            ("active", vec![made[1].clone(), made[2].clone()]),
            ("unverified", vec![made[0].clone(), made[3].clone()]),
            ("locked", vec![made[4].clone()]),
        ] {
            let got = app
                .all_pages(&format!("{base}&status={status}&limit=1"), &admin)
                .await;
            assert_eq!(emails(&got), expected, "{status}");
            assert!(got.iter().all(|u| u["status"] == status));
        }
        let support = app.all_pages(&format!("{base}&role=SUPPORT"), &admin).await;
        assert_eq!(emails(&support), vec![made[2].clone()]);
        assert_eq!(support[0]["roles"], serde_json::json!(["USER", "SUPPORT"]));

        // A walk under way sees every older account once, whatever is added meanwhile.
        let first = app.admin_get(&format!("{base}&limit=2"), &admin).await;
        let cursor = first.body["nextCursor"].as_str().unwrap().to_owned();
        let late = format!("{tag}-aaa@example.com");
        assert_eq!(app.register(&late, STRONG_PASSWORD).await.status, 202);
        let rest = app
            .pages_from(&format!("{base}&limit=2"), &admin, Some(cursor))
            .await;
        let mut walked = emails(first.body["items"].as_array().unwrap());
        walked.extend(emails(&rest));
        let mut expected = made.clone();
        expected.push(late);
        assert_eq!(walked, expected);
    }
}

#[tokio::test]
async fn bad_filters_and_forged_cursors_are_refused_with_the_contracts_codes() {
    for (app, _clock) in on_both_stores(&[]).await {
        let (_, admin, _) = app.signed_in_with(&[Role::Admin]).await;
        for _ in 0..3 {
            app.verified_user().await;
        }
        for (query, field) in [
            ("status=frozen", "status"),
            ("role=root", "role"),
            ("sort=age", "sort"),
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=ten", "limit"),
            ("email=", "email"),
        ] {
            let res = app
                .admin_get(&format!("/v1/admin/users?{query}"), &admin)
                .await;
            res.assert_problem(422, "validation_failed");
            assert_eq!(res.body["errors"][0]["field"], field, "{query}");
        }
        let page = app.admin_get("/v1/admin/users?limit=1", &admin).await;
        let cursor = page.body["nextCursor"].as_str().unwrap().to_owned();
        let (body, tag) = cursor.split_once('.').unwrap();
        let mut flipped = tag.to_owned();
        let last = if flipped.ends_with('0') { '1' } else { '0' };
        flipped.pop();
        flipped.push(last);
        for forged in [
            format!("{body}.{flipped}"),
            format!("{body}x.{tag}"),
            "not-a-cursor".to_owned(),
            body.to_owned(),
        ] {
            let url = format!(
                "/v1/admin/users?limit=1&cursor={}",
                super::urlencoding(&forged)
            );
            app.admin_get(&url, &admin)
                .await
                .assert_problem(400, "bad_request");
        }
        // A cursor made for other filters is refused too.
        let url = format!(
            "/v1/admin/users?limit=1&sort=email&cursor={}",
            super::urlencoding(&cursor)
        );
        app.admin_get(&url, &admin)
            .await
            .assert_problem(400, "bad_request");
    }
}

#[tokio::test]
async fn one_account_shows_roles_plan_lock_mfa_and_active_sessions() {
    for (app, _clock) in on_both_stores(&[]).await {
        let (_, admin, _) = app.signed_in_with(&[Role::Admin]).await;
        let user = app.mfa_user().await;
        app.login(&user.email, STRONG_PASSWORD).await;
        let id = app.account(&user.email).await.id;
        let res = app
            .admin_get(&format!("/v1/admin/users/{id}"), &admin)
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        let b = &res.body;
        assert_eq!(b["id"], id.to_string());
        assert_eq!(b["email"], user.email);
        assert_eq!(b["roles"], serde_json::json!(["USER"]));
        assert_eq!(b["plan"], "FREE");
        assert_eq!(b["status"], "active");
        assert_eq!(b["lock"], Value::Null);
        assert_eq!(b["mfa"]["enabled"], true);
        assert_eq!(b["mfa"]["recoveryCodesLeft"], 10);
        assert_eq!(
            b["sessions"], 1,
            "the MFA login waits for its code: one session"
        );
        assert!(b.get("passwordHash").is_none() && !b.to_string().contains("argon2"));
        for missing in ["01JZ0000000000000000000000", "not-an-id"] {
            app.admin_get(&format!("/v1/admin/users/{missing}"), &admin)
                .await
                .assert_problem(404, "not_found");
        }
    }
}
