//! Every public operation through its JSON argument boundary ([`authcore::AuthCore::call`]), on a real SQLite
//! file: a program of up to 16 calls, each either a structured object built from the declaration's argument
//! names and a pool of ids that earlier calls returned, or raw JSON text. After each call and at the end the
//! target checks what must hold whatever the input: no panic, no `INTERNAL_ERROR` (a bad input is a typed
//! error), and the store invariants U1 (one recipe user per (tenant, provider, provider user id)), U3 (one
//! primary group per (tenant, email)) and U5 (each recipe user in exactly one group).
#![no_main]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use arbitrary::{Result as ArbResult, Unstructured};
use authcore::ops::{camel_case, OPERATIONS};
use authcore::{AuthCore, AuthCoreConfig, UserContext};
use libfuzzer_sys::fuzz_target;

/// The same invariant checks as the race and property tests.
#[path = "../../tests/common/invariants.rs"]
mod invariants;
use serde_json::{json, Map, Value};

const MAX_STEPS: usize = 16;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

fn scratch_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("authcore-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    })
}

/// Keys of the input types that operations take whole (declared argument structs list their own).
fn whole_input_keys(input: &str) -> &'static [&'static str] {
    match input {
        "SignInUpInput" | "ManuallyCreateOrUpdateUserInput" => {
            &["tenantId", "thirdPartyId", "thirdPartyUserId", "email"]
        }
        "SignInUpPostInput" => &[
            "tenantId",
            "thirdPartyId",
            "clientType",
            "redirectURIInfo",
            "oAuthTokens",
            "userInfo",
            "requireEmail",
            "redirectToPath",
            "existingAccessToken",
            "shouldTryLinkingWithSessionUser",
        ],
        "GetAuthorisationUrlInput" => &[
            "tenantId",
            "thirdPartyId",
            "clientType",
            "redirectURIOnProviderDashboard",
            "mode",
        ],
        "GetUsersInput" => &["tenantId", "limit", "paginationToken", "timeJoinedOrder"],
        "VerifyEmailInput" => &["recipeUserId", "email", "attemptAccountLinking"],
        "GetSessionInput" => &["accessToken", "tenantId", "anyTenant"],
        "ListEventsInput" => &[
            "userId",
            "tenantId",
            "since",
            "until",
            "limit",
            "paginationToken",
        ],
        other => panic!("the fuzz target does not know the keys of {other}: add them"),
    }
}

/// Keys for nested objects of arbitrary values.
const ANY_KEYS: &[&str] = &[
    "id",
    "isVerified",
    "email",
    "thirdPartyUserId",
    "userId",
    "tenantId",
    "x",
];

const TENANTS: &[&str] = &[
    "public", "t1", "t2", "T1", " t2 ", "nope", "appid-x", "", "recipe",
];
const PROVIDERS: &[&str] = &[
    "google", "github", "saml", "Google", " apple", "", "x\u{0}y",
];
const PROVIDER_USERS: &[&str] = &["alice", "Alice", "a.b", "a", "b", "1", " u ", ""];
const EMAILS: &[&str] = &[
    "a@x.com",
    "A@X.com ",
    "b@x.com",
    "c@y.org",
    "alice.saml@stfakeemail.supertokens.com",
    "bad",
    "",
    "a\u{a0}@x.com",
];

struct Program<'a, 'b> {
    u: &'a mut Unstructured<'b>,
    /// Ids, handles and tokens earlier calls returned: later calls refer to them.
    pool: Vec<String>,
}

impl Program<'_, '_> {
    /// True about once in `n` draws, and never once the input is used up (arbitrary's exhausted draws are
    /// the smallest value): short inputs then make well-formed calls rather than malformed ones.
    fn rarely(&mut self, n: u32) -> ArbResult<bool> {
        Ok(!self.u.ratio(n - 1, n)?)
    }

    fn pick<'s>(&mut self, from: &[&'s str]) -> ArbResult<&'s str> {
        Ok(from[self.u.choose_index(from.len())?])
    }

    fn id(&mut self) -> ArbResult<Value> {
        if !self.pool.is_empty() && self.u.ratio(3, 4)? {
            let i = self.u.choose_index(self.pool.len())?;
            return Ok(json!(self.pool[i]));
        }
        Ok(json!(self.u.arbitrary::<String>()?))
    }

    fn email(&mut self) -> ArbResult<Value> {
        let id = if !self.rarely(8)? {
            self.pick(EMAILS)?.to_string()
        } else {
            self.u.arbitrary::<String>()?
        };
        Ok(json!({"id": id, "isVerified": self.u.arbitrary::<bool>()?}))
    }

    /// A value for `key`: usually one of the shapes the key takes, sometimes anything.
    fn value_for(&mut self, key: &str) -> ArbResult<Value> {
        if self.rarely(20)? {
            return self.any(0);
        }
        Ok(match key {
            "tenantId" => json!(self.pick(TENANTS)?),
            "thirdPartyId" => json!(self.pick(PROVIDERS)?),
            "thirdPartyUserId" => json!(self.pick(PROVIDER_USERS)?),
            "email" => {
                if self.u.ratio(1, 2)? {
                    self.email()?
                } else {
                    json!(self.pick(EMAILS)?)
                }
            }
            "userInfo" => {
                let mut info = json!({"thirdPartyUserId": self.pick(PROVIDER_USERS)?});
                if self.u.ratio(3, 4)? {
                    info["email"] = self.email()?;
                }
                info
            }
            "accountInfo" => {
                let mut info = Map::new();
                if self.u.arbitrary()? {
                    info.insert("email".into(), json!(self.pick(EMAILS)?));
                }
                if self.u.arbitrary()? {
                    info.insert(
                        "thirdParty".into(),
                        json!({"id": self.pick(PROVIDERS)?, "userId": self.pick(PROVIDER_USERS)?}),
                    );
                }
                Value::Object(info)
            }
            "config" => {
                let mut config = Map::new();
                if self.u.arbitrary()? {
                    config.insert("firstFactors".into(), json!(["thirdparty"]));
                }
                Value::Object(config)
            }
            "limit" => json!(self.u.int_in_range(0..=600)?),
            "timeJoinedOrder" => json!(self.pick(&["ASC", "DESC", "asc"])?),
            "since" | "until" => json!(self.u.arbitrary::<i64>()?),
            "redirectToPath" => {
                json!(self.pick(&["/home", "//evil.com", "https://evil.com", "/a?b=c"])?)
            }
            "accessTokenPayload" => self.any(0)?,
            k if k.ends_with("Id") || k.ends_with("Token") || k.ends_with("Handle") => self.id()?,
            _ => json!(self.u.arbitrary::<bool>()?),
        })
    }

    /// Any JSON value, nested at most a few levels.
    fn any(&mut self, depth: usize) -> ArbResult<Value> {
        let choice = if depth >= 3 {
            self.u.int_in_range(0..=4)?
        } else {
            self.u.int_in_range(0..=6)?
        };
        Ok(match choice {
            0 => Value::Null,
            1 => json!(self.u.arbitrary::<bool>()?),
            2 => json!(self.u.arbitrary::<i64>()?),
            3 => json!(self.u.arbitrary::<f64>()?),
            4 => json!(self.u.arbitrary::<String>()?),
            5 => {
                let n = self.u.int_in_range(0..=3)?;
                Value::Array(
                    (0..n)
                        .map(|_| self.any(depth + 1))
                        .collect::<ArbResult<_>>()?,
                )
            }
            _ => {
                let n = self.u.int_in_range(0..=3)?;
                let mut m = Map::new();
                for _ in 0..n {
                    let k = self.pick(ANY_KEYS)?.to_string();
                    m.insert(k, self.any(depth + 1)?);
                }
                Value::Object(m)
            }
        })
    }

    /// Arguments for an operation: its declared names (or the whole-input keys), each present or not.
    fn args(&mut self, names: &[String]) -> ArbResult<Value> {
        let mut m = Map::new();
        for name in names {
            if !self.rarely(10)? {
                let v = self.value_for(name)?;
                m.insert(name.clone(), v);
            }
        }
        if self.rarely(16)? {
            m.insert(self.u.arbitrary::<String>()?, Value::Null);
        }
        Ok(Value::Object(m))
    }

    fn remember(&mut self, v: &Value) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if let Value::String(s) = v {
                        let wanted = [
                            "id",
                            "userId",
                            "recipeUserId",
                            "primaryUserId",
                            "sessionHandle",
                            "accessToken",
                        ];
                        if wanted.contains(&k.as_str())
                            && self.pool.len() < 64
                            && !self.pool.contains(s)
                        {
                            self.pool.push(s.clone());
                        }
                    } else {
                        self.remember(v);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| self.remember(i)),
            _ => {}
        }
    }
}

/// `AUTHCORE_FUZZ_TRACE=1` prints each call's operation and outcome, to see what a corpus reaches.
fn trace() -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("AUTHCORE_FUZZ_TRACE").is_some())
}

fn config(u: &mut Unstructured<'_>) -> ArbResult<AuthCoreConfig> {
    let flags: u8 = u.arbitrary()?;
    let mut config = AuthCoreConfig::default();
    config.account_linking.should_automatically_link = flags & 1 == 0;
    config.account_linking.should_require_verification = flags & 2 == 0;
    Ok(config)
}

/// A migrated database with tenants `t1` and `t2`, made once per process and copied for every run: opening
/// and migrating a new file per run would cost more than the run.
fn template() -> &'static PathBuf {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let path = scratch_dir().join("template.sqlite");
        runtime().block_on(async {
            let auth =
                AuthCore::open_sqlite(&path, AuthCoreConfig::default()).expect("template opens");
            for tenant in ["t1", "t2"] {
                auth.call(
                    "createOrUpdateTenant",
                    json!({"tenantId": tenant}),
                    &UserContext::new(),
                )
                .await
                .expect("tenant set-up");
            }
            auth.shutdown().await.expect("shutdown");
        });
        path
    })
}

async fn run(u: &mut Unstructured<'_>, path: &std::path::Path) -> ArbResult<()> {
    let auth = AuthCore::open_sqlite(path, config(u)?).expect("a copied database opens");
    let ctx = UserContext::new();
    let mut program = Program {
        u,
        pool: Vec::new(),
    };
    for _ in 0..MAX_STEPS {
        if program.u.is_empty() {
            break;
        }
        let op = OPERATIONS[program.u.choose_index(OPERATIONS.len())?];
        let args = if program.rarely(8)? {
            // Raw JSON text: whatever serde_json accepts reaches the operation as it is.
            let len = program.u.int_in_range(0..=256)?;
            match serde_json::from_slice::<Value>(program.u.bytes(len)?) {
                Ok(v) => v,
                Err(_) => continue,
            }
        } else {
            let names: Vec<String> = if op.whole {
                whole_input_keys(op.input)
                    .iter()
                    .map(|k| k.to_string())
                    .collect()
            } else {
                op.args.iter().map(|a| camel_case(a.name)).collect()
            };
            program.args(&names)?
        };
        let outcome = auth.call(op.name, args.clone(), &ctx).await;
        if trace() {
            let status = match &outcome {
                Ok(v) => v
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string(),
                Err(e) => format!("{} {e} {args}", e.code()),
            };
            eprintln!("trace {} {status}", op.name);
        }
        match outcome {
            Ok(result) => program.remember(&result),
            Err(e) => assert_ne!(e.code(), "INTERNAL_ERROR", "{} {args} gave {e}", op.name),
        }
    }
    invariants::check_invariants(&auth).await;
    auth.shutdown().await.expect("shutdown");
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    static N: AtomicU64 = AtomicU64::new(0);
    let path = scratch_dir().join(format!("{}.sqlite", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::copy(template(), &path).expect("copy the template database");
    let mut u = Unstructured::new(data);
    let _ = runtime().block_on(run(&mut u, &path));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
});
