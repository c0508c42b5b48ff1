//! The first administrator on AWS: `seed-admin` on an address someone else registered first
//! hands them nothing.

use crate::support::{STRONG_PASSWORD, moto, on_both_stores, reset_token, token_in};
use latch_core::domain::Role;

#[tokio::test]
async fn seeding_an_address_a_stranger_registered_first_locks_the_stranger_out() {
    for (app, _clock) in on_both_stores(&[]).await {
        let email = format!("{}@example.com", moto::unique("seeded"));
        // The stranger registers the address with a password of their own...
        assert_eq!(app.register(&email, STRONG_PASSWORD).await.status, 202);
        let their_link = token_in(&app.mail_to(&email, "verification")[0]);
        let event = serde_json::json!({"email": email});
        let report = latch_functions::seed_admin::handle(&app.deps, &event, None, "seed")
            .await
            .unwrap();
        assert_eq!(
            report,
            serde_json::json!({"outcome": "promoted", "mailed": true})
        );
        // ...and neither that password nor the registration link works any more.
        app.verify_email(&their_link)
            .await
            .assert_problem(400, "invalid_token");
        app.login(&email, STRONG_PASSWORD)
            .await
            .assert_problem(401, "invalid_credentials");
        let account = app.account(&email).await;
        assert!(!account.email_verified);
        assert!(account.roles.contains(&Role::Admin));
        // The owner sets a password through the link mailed to the address, and is the admin.
        let mailed = app.mail_to(&email, "confirm_and_set_password");
        assert_eq!(mailed.len(), 1);
        let set = app
            .reset_password(&reset_token(&mailed[0]), "quartz-lantern-meadow-73")
            .await;
        assert_eq!(set.status, 204, "{}", set.body);
        let login = app.login(&email, "quartz-lantern-meadow-73").await;
        assert_eq!(login.status, 200, "{}", login.body);
        let access = login.body["accessToken"].as_str().unwrap().to_owned();
        assert_eq!(
            app.admin_get("/v1/admin/users?limit=1", &access)
                .await
                .status,
            200
        );
        // Again: nothing changes.
        let again = latch_functions::seed_admin::handle(&app.deps, &event, None, "seed-2")
            .await
            .unwrap();
        assert_eq!(
            again,
            serde_json::json!({"outcome": "unchanged", "mailed": false})
        );
    }
}
