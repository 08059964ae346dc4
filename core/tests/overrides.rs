//! Overrides in the SuperTokens model: an override gets `original`, calls made inside the original go through
//! the final object, layers stack, and `userContext` travels through every call.

mod common;
use common::post;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use authcore::*;
use serde_json::json;

fn sign_in(tp: &str, uid: &str, email: &str, verified: bool) -> SignInUpInput {
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

fn linking_on() -> AuthCoreConfig {
    let mut c = AuthCoreConfig::default();
    c.account_linking.should_automatically_link = true;
    c
}

/// Seed 000 §3: override signInUpPOST, call the original, branch on `status == "OK"` and `createdNewRecipeUser`.
struct PostAuthHook {
    original: Arc<dyn ApiFunctions>,
    sign_ups: Arc<Mutex<Vec<String>>>,
    sign_ins: Arc<Mutex<Vec<String>>>,
}

#[async_trait]
impl ApiFunctions for PostAuthHook {
    fn original(&self) -> &dyn ApiFunctions {
        &*self.original
    }
    async fn sign_in_up_post(
        &self,
        input: &SignInUpPostInput,
        ctx: &UserContext,
    ) -> Result<SignInUpPostResult> {
        let response = self.original.sign_in_up_post(input, ctx).await?;
        if let SignInUpPostResult::Ok {
            created_new_recipe_user,
            user,
            ..
        } = &response
        {
            // The documented way to tell an account-level sign-up from a sign-in.
            if *created_new_recipe_user && user.login_methods.len() == 1 {
                self.sign_ups.lock().expect("lock").push(user.id.clone());
            } else {
                self.sign_ins.lock().expect("lock").push(user.id.clone());
            }
        }
        Ok(response)
    }
}

#[tokio::test]
async fn seed_000_post_sign_in_up_hook_pattern() {
    let dir = tempfile::tempdir().expect("tmp");
    let sign_ups = Arc::new(Mutex::new(Vec::new()));
    let sign_ins = Arc::new(Mutex::new(Vec::new()));
    let (su, si) = (sign_ups.clone(), sign_ins.clone());
    let auth = AuthCore::builder()
        .sqlite(dir.path().join("a.db"))
        .expect("db")
        .config(linking_on())
        .override_apis(move |original| {
            Arc::new(PostAuthHook {
                original,
                sign_ups: su,
                sign_ins: si,
            })
        })
        .build()
        .expect("build");
    let ctx = UserContext::new();
    let r1 = auth
        .apis()
        .sign_in_up_post(&post("google", "g1", "a@x.com", true), &ctx)
        .await
        .expect("post");
    let r2 = auth
        .apis()
        .sign_in_up_post(&post("google", "g1", "a@x.com", true), &ctx)
        .await
        .expect("post");
    // A new login method linked into an existing account is not an account-level sign-up.
    let r3 = auth
        .apis()
        .sign_in_up_post(&post("github", "h1", "a@x.com", true), &ctx)
        .await
        .expect("post");
    let id = match (&r1, &r2, &r3) {
        (
            SignInUpPostResult::Ok { user: u1, .. },
            SignInUpPostResult::Ok {
                user: u2,
                created_new_recipe_user: false,
                ..
            },
            SignInUpPostResult::Ok {
                user: u3,
                created_new_recipe_user: true,
                ..
            },
        ) => {
            assert_eq!(u1.id, u2.id);
            assert_eq!(u1.id, u3.id);
            u1.id.clone()
        }
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(*sign_ups.lock().expect("lock"), vec![id.clone()]);
    assert_eq!(*sign_ins.lock().expect("lock"), vec![id.clone(), id]);
}

/// Refuses to make anyone primary: proves the built-in flow calls createPrimaryUser through the final object.
struct NoPrimaries {
    original: Arc<dyn RecipeFunctions>,
    calls: Arc<AtomicUsize>,
}

#[async_trait]
impl RecipeFunctions for NoPrimaries {
    fn original(&self) -> &dyn RecipeFunctions {
        &*self.original
    }
    async fn create_primary_user(
        &self,
        recipe_user_id: &str,
        _ctx: &UserContext,
    ) -> Result<CreatePrimaryUserResult> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(
            CreatePrimaryUserResult::AccountInfoAlreadyAssociatedWithAnotherPrimaryUserIdError {
                primary_user_id: format!("blocked-{recipe_user_id}"),
                description: "blocked by override".into(),
            },
        )
    }
}

#[tokio::test]
async fn overriding_create_primary_user_changes_the_sign_in_up_flow() {
    let dir = tempfile::tempdir().expect("tmp");
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let auth = AuthCore::builder()
        .sqlite(dir.path().join("a.db"))
        .expect("db")
        .config(linking_on())
        .override_functions(move |original| Arc::new(NoPrimaries { original, calls: c }))
        .build()
        .expect("build");
    let ctx = UserContext::new();
    let r = auth
        .manually_create_or_update_user(&sign_in("google", "g1", "a@x.com", true), &ctx)
        .await
        .expect("call");
    let ManuallyCreateOrUpdateUserResult::Ok { user, linking, .. } = r else {
        panic!("status")
    };
    assert!(
        calls.load(Ordering::SeqCst) >= 1,
        "the flow called the overridden createPrimaryUser"
    );
    assert!(
        !user.is_primary_user,
        "without the override this user becomes primary (ALV, verified)"
    );
    assert_eq!(linking.outcome, LinkingOutcome::NotLinked);
    assert_eq!(linking.reason, LinkingReason::AccountInfoConflict);

    // Control: the same call without the override makes a primary user.
    let dir2 = tempfile::tempdir().expect("tmp");
    let plain = AuthCore::open_sqlite(dir2.path().join("b.db"), linking_on()).expect("open");
    let r = plain
        .manually_create_or_update_user(&sign_in("google", "g1", "a@x.com", true), &ctx)
        .await
        .expect("call");
    let ManuallyCreateOrUpdateUserResult::Ok { user, .. } = r else {
        panic!("status")
    };
    assert!(user.is_primary_user);
}

/// Decides linking from the userContext; records the order layers run in.
struct Policy {
    original: Arc<dyn RecipeFunctions>,
    log: Arc<Mutex<Vec<String>>>,
    name: &'static str,
}

#[async_trait]
impl RecipeFunctions for Policy {
    fn original(&self) -> &dyn RecipeFunctions {
        &*self.original
    }
    async fn sign_in_up(&self, input: &SignInUpInput, ctx: &UserContext) -> Result<SignInUpResult> {
        self.log
            .lock()
            .expect("lock")
            .push(format!("{} before", self.name));
        let r = self.original.sign_in_up(input, ctx).await;
        self.log
            .lock()
            .expect("lock")
            .push(format!("{} after", self.name));
        r
    }
    async fn should_do_automatic_account_linking(
        &self,
        _info: &NewAccountInfo,
        _user: Option<&User>,
        _session: Option<&Session>,
        _tenant_id: &str,
        ctx: &UserContext,
    ) -> Result<ShouldAutomaticallyLink> {
        let no = ctx.get("DO_NOT_LINK") == Some(json!(true));
        Ok(ShouldAutomaticallyLink {
            should_automatically_link: !no,
            should_require_verification: true,
        })
    }
}

#[tokio::test]
async fn layers_stack_and_user_context_reaches_the_policy() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = Arc::new(Mutex::new(Vec::new()));
    let (l1, l2) = (log.clone(), log.clone());
    let auth = AuthCore::builder()
        .sqlite(dir.path().join("a.db"))
        .expect("db")
        .override_functions(move |original| {
            Arc::new(Policy {
                original,
                log: l1,
                name: "inner",
            })
        })
        .override_functions(move |original| {
            Arc::new(Policy {
                original,
                log: l2,
                name: "outer",
            })
        })
        .build()
        .expect("build");
    let ctx = UserContext::new();
    let a = auth
        .manually_create_or_update_user(&sign_in("google", "g1", "a@x.com", true), &ctx)
        .await
        .expect("a");
    let ManuallyCreateOrUpdateUserResult::Ok { user: primary, .. } = a else {
        panic!("a")
    };
    assert!(
        primary.is_primary_user,
        "the overridden policy (default config is off) made it primary"
    );
    assert_eq!(
        *log.lock().expect("lock"),
        vec!["outer before", "inner before", "inner after", "outer after"]
    );

    let no_link =
        UserContext::from_map(serde_json::from_value(json!({"DO_NOT_LINK": true})).expect("map"));
    let b = auth
        .manually_create_or_update_user(&sign_in("github", "h1", "a@x.com", true), &no_link)
        .await
        .expect("b");
    let ManuallyCreateOrUpdateUserResult::Ok { user, linking, .. } = b else {
        panic!("b")
    };
    assert_ne!(user.id, primary.id);
    assert_eq!(linking.reason, LinkingReason::AutomaticLinkingDisabled);
    let c = auth
        .manually_create_or_update_user(&sign_in("gitlab", "l1", "a@x.com", true), &ctx)
        .await
        .expect("c");
    let ManuallyCreateOrUpdateUserResult::Ok { user, .. } = c else {
        panic!("c")
    };
    assert_eq!(user.id, primary.id, "without the flag the same call links");
}

/// getRedirectionURL is overridable, and whatever it says is validated.
struct Redirects {
    original: Arc<dyn ApiFunctions>,
}

#[async_trait]
impl ApiFunctions for Redirects {
    fn original(&self) -> &dyn ApiFunctions {
        &*self.original
    }
    async fn get_redirection_url(
        &self,
        context: &authcore::redirect::RedirectContext,
        ctx: &UserContext,
    ) -> Result<Option<String>> {
        if context.is_new_user {
            return Ok(Some("https://app.example.com/welcome".into()));
        }
        if context.redirect_to_path.as_deref() == Some("/evil") {
            return Ok(Some("https://evil.example.net/".into()));
        }
        self.original.get_redirection_url(context, ctx).await
    }
}

#[tokio::test]
async fn redirection_is_overridable_and_validated() {
    use authcore::redirect::RedirectAction;
    let dir = tempfile::tempdir().expect("tmp");
    let mut config = AuthCoreConfig::default();
    config.redirect.allowed_origins = vec!["https://app.example.com".into()];
    config.redirect.default_path = "/home".into();
    let auth = AuthCore::builder()
        .sqlite(dir.path().join("a.db"))
        .expect("db")
        .config(config)
        .override_apis(|original| Arc::new(Redirects { original }))
        .build()
        .expect("build");
    let ctx = UserContext::new();
    let mut input = post("google", "g1", "a@x.com", true);
    let SignInUpPostResult::Ok {
        redirect,
        access_token,
        ..
    } = auth.apis().sign_in_up_post(&input, &ctx).await.expect("1")
    else {
        panic!("1")
    };
    assert_eq!(
        (
            redirect.url.as_str(),
            redirect.is_new_user,
            redirect.fell_back
        ),
        ("https://app.example.com/welcome", true, false)
    );

    input.redirect_to_path = Some("/settings".into());
    let SignInUpPostResult::Ok { redirect, .. } =
        auth.apis().sign_in_up_post(&input, &ctx).await.expect("2")
    else {
        panic!("2")
    };
    assert_eq!(
        (redirect.url.as_str(), redirect.action),
        ("/settings", RedirectAction::Success)
    );

    input.redirect_to_path = Some("/evil".into());
    let SignInUpPostResult::Ok { redirect, .. } =
        auth.apis().sign_in_up_post(&input, &ctx).await.expect("3")
    else {
        panic!("3")
    };
    assert_eq!(
        (redirect.url.as_str(), redirect.fell_back),
        ("/home", true),
        "an override cannot open-redirect"
    );

    // An existing session never short-circuits a sign-in (login CSRF): the identity is authenticated and a
    // new session is created for it; the redirect is still validated.
    input.redirect_to_path = Some("//evil.example.net".into());
    input.existing_access_token = Some(access_token.clone());
    let r = auth.apis().sign_in_up_post(&input, &ctx).await.expect("4");
    let SignInUpPostResult::Ok {
        redirect,
        access_token: fresh,
        ..
    } = r
    else {
        panic!("4: {r:?}")
    };
    assert_eq!(redirect.action, RedirectAction::Success);
    assert_eq!((redirect.url.as_str(), redirect.fell_back), ("/home", true));
    assert_ne!(
        fresh, access_token,
        "a new session for the signed-in identity"
    );
}

/// Overrides nothing: its presence alone makes the engine take the ordinary (unfused) paths.
struct PassThrough {
    original: Arc<dyn RecipeFunctions>,
}

impl RecipeFunctions for PassThrough {
    fn original(&self) -> &dyn RecipeFunctions {
        &*self.original
    }
}

#[tokio::test]
async fn fused_sign_up_and_link_matches_the_two_step_path() {
    async fn run(with_override: bool) -> (Vec<String>, serde_json::Value) {
        let dir = tempfile::tempdir().expect("tmp");
        let names = Arc::new(Mutex::new(Vec::new()));
        let n = names.clone();
        let handler = authcore::events::FnHandler(move |e: authcore::events::Event| {
            let n = n.clone();
            async move {
                n.lock().expect("lock").push(e.name.as_str().to_string());
                Ok(())
            }
        });
        let mut b = AuthCore::builder()
            .sqlite(dir.path().join("a.db"))
            .expect("db")
            .config(linking_on())
            .on_any_event(Arc::new(handler));
        if with_override {
            b = b.override_functions(|original| Arc::new(PassThrough { original }));
        }
        let auth = b.build().expect("build");
        let ctx = UserContext::new();
        auth.manually_create_or_update_user(&sign_in("github", "h1", "a@x.com", true), &ctx)
            .await
            .expect("p");
        let r = auth
            .manually_create_or_update_user(&sign_in("google", "g1", "a@x.com", true), &ctx)
            .await
            .expect("link");
        let mut v = serde_json::to_value(&r).expect("json");
        // Ids and times differ between runs; shapes and decisions must not.
        v["recipeUserId"] = json!("-");
        v["user"]["id"] = json!("-");
        v["linking"]["primaryUserId"] = json!("-");
        v["user"]["timeJoined"] = json!(0);
        for lm in v["user"]["loginMethods"].as_array_mut().expect("lms") {
            lm["recipeUserId"] = json!("-");
            lm["timeJoined"] = json!(0);
        }
        let events = names.lock().expect("lock").clone();
        (events, v)
    }
    let fused = run(false).await;
    let two_step = run(true).await;
    assert_eq!(fused, two_step);
    assert_eq!(fused.0, vec!["createUser", "updateUser", "linkAccount"]);
    assert_eq!(fused.1["linking"]["outcome"], "LINKED");
}
