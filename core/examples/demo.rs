//! The main job: open a SQLite file, sign users up and in, link them automatically by verified email, open a
//! session, and print the resulting user as JSON.
//!
//! `cargo run --release -p authcore --example demo -- [path/to/auth.db]`

use authcore::{
    AuthCore, AuthCoreConfig, EmailInput, GetSessionResult, ManuallyCreateOrUpdateUserResult,
    SignInUpInput, UserContext,
};
use serde_json::json;

fn input(tp: &str, uid: &str, email: &str, verified: bool) -> SignInUpInput {
    SignInUpInput {
        tenant_id: "public".into(),
        third_party_id: tp.into(),
        third_party_user_id: uid.into(),
        email: EmailInput {
            id: email.into(),
            is_verified: verified,
        },
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "authcore-demo.db".to_string());
    let mut config = AuthCoreConfig::default();
    config.account_linking.should_automatically_link = true; // verification stays required
    let auth = AuthCore::open_sqlite(&path, config)?;
    let ctx = UserContext::new();
    let run = std::process::id();

    let steps = [
        (
            "sign up with Google (verified)",
            input(
                "google",
                &format!("g-{run}"),
                &format!("ada-{run}@example.com"),
                true,
            ),
        ),
        (
            "sign in again with Google",
            input(
                "google",
                &format!("g-{run}"),
                &format!("ada-{run}@example.com"),
                false,
            ),
        ),
        (
            "sign up with GitHub, same verified email",
            input(
                "github",
                &format!("h-{run}"),
                &format!("ADA-{run}@example.com "),
                true,
            ),
        ),
        (
            "sign up with GitLab, same email unverified",
            input(
                "gitlab",
                &format!("l-{run}"),
                &format!("ada-{run}@example.com"),
                false,
            ),
        ),
    ];
    let mut last_user = None;
    for (what, step) in &steps {
        match auth.manually_create_or_update_user(step, &ctx).await? {
            ManuallyCreateOrUpdateUserResult::Ok {
                created_new_recipe_user,
                user,
                recipe_user_id,
                linking,
            } => {
                println!(
                    "{}",
                    json!({"step": what, "status": "OK", "createdNewRecipeUser": created_new_recipe_user,
                           "recipeUserId": recipe_user_id, "userId": user.id, "linking": linking})
                );
                if step.third_party_id != "gitlab" {
                    last_user = Some((user, recipe_user_id));
                }
            }
            other => println!("{}", json!({"step": what, "result": other})),
        }
    }
    let (user, recipe_user_id) = last_user.ok_or("no user")?;
    let created = auth
        .create_new_session("public", &recipe_user_id, &json!({"role": "demo"}), &ctx)
        .await?;
    let authcore::CreateNewSessionResult::Ok { access_token, .. } = created;
    if let GetSessionResult::Ok { session } = auth
        .get_session(
            &authcore::GetSessionInput::new(access_token.as_str(), None),
            &ctx,
        )
        .await?
    {
        println!(
            "{}",
            json!({"step": "session", "userId": session.user_id, "recipeUserId": session.recipe_user_id})
        );
    }
    let user = auth
        .get_user(&user.id, &ctx)
        .await?
        .ok_or("user vanished")?;
    println!("{}", serde_json::to_string_pretty(&user)?);
    Ok(())
}
