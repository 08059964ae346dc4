//! The OAuth 2.0 / OpenID Connect test peers of tests/oidc/ (see tests/oidc/README.md), from Rust tests.
//!
//! `Peer::start_op()` spawns `node tests/oidc/op.mjs` (a real OpenID Provider, panva's oidc-provider);
//! `Peer::start_fakes()` spawns `node tests/oidc/fakes.mjs` (the documented responses of GitHub, Facebook, Discord,
//! LinkedIn, Twitter/X, Bitbucket, Apple and Microsoft). Each prints one JSON line when listening, which is read
//! here with a timeout; the child's stdin is a pipe, so it exits when the `Peer` is dropped (it is also killed).
//! A missing `node` or `tests/oidc/node_modules` fails the test: CI installs them (`scripts/test` runs `npm ci`).
//!
//! HTTP here is std only: HTTP/1.1 over `TcpStream`, `Connection: close`, no TLS (the peers are loopback).
//! Include it with `#[path = "support/oidc.rs"] mod oidc;`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// How long a peer may take to print its start-up line (Node start-up plus RSA key generation on a busy machine).
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Read/write timeout of one HTTP exchange.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A running test peer. `base` is the issuer (`http://127.0.0.1:PORT`) of the OP, or the base URL of the fakes.
pub struct Peer {
    pub base: String,
    pub pid: u32,
    child: Child,
    stderr: Arc<Mutex<String>>,
}

/// One HTTP response: status, headers (names lower-cased, in order), body as text.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "HTTP {} body is not JSON ({e}): {}",
                self.status,
                &self.body[..self.body.len().min(500)]
            )
        })
    }
}

/// tests/oidc/ in the repository.
pub fn oidc_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/oidc")
}

impl Peer {
    /// Starts the real OpenID Provider (`tests/oidc/op.mjs`); `base` is its issuer.
    pub fn start_op() -> Peer {
        Peer::start("op.mjs", "issuer")
    }

    /// Starts the provider fakes (`tests/oidc/fakes.mjs`); `base` is their base URL.
    pub fn start_fakes() -> Peer {
        Peer::start("fakes.mjs", "base")
    }

    fn start(script: &str, url_key: &str) -> Peer {
        let dir = oidc_dir();
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "{}/node_modules is missing: run `(cd tests/oidc && npm ci --no-audit --no-fund)` (scripts/test does)",
            dir.display()
        );
        let mut child = Command::new("node")
            .arg(script)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start `node {script}` (is Node.js 20+ installed?): {e}")
            });

        // stderr is kept (and shown if start-up fails); stdout's first line is the start-up protocol.
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut s = sink.lock().unwrap();
                if s.len() < 256 * 1024 {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        let out_pipe = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(out_pipe).lines();
            let first = lines.next();
            let _ = tx.send(first);
            for _ in lines {} // drain until the child exits
        });
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`node {script}` did not print its start-up line within {START_TIMEOUT:?} ({other:?}); stderr:\n{}",
                    stderr.lock().unwrap()
                );
            }
        };
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("`node {script}` start-up line is not JSON ({e}): {line}"));
        let base = v[url_key]
            .as_str()
            .unwrap_or_else(|| panic!("start-up line has no {url_key:?}: {line}"))
            .to_string();
        let pid = v["pid"].as_u64().expect("start-up line has a pid") as u32;
        Peer {
            base,
            pid,
            child,
            stderr,
        }
    }

    /// `base` + `path` (path starts with '/').
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// What the peer wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn get(&self, path: &str) -> HttpResponse {
        http("GET", &self.url(path), &[], None)
    }

    pub fn get_json(&self, path: &str) -> Value {
        let r = self.get(path);
        assert_eq!(r.status, 200, "GET {path}: {}", r.body);
        r.json()
    }

    /// POST a JSON body to one of the peer's paths (the /__test/ endpoints) and return the JSON answer.
    pub fn post_json(&self, path: &str, body: &Value) -> Value {
        let r = http(
            "POST",
            &self.url(path),
            &[("content-type", "application/json")],
            Some(body.to_string().as_bytes()),
        );
        assert_eq!(r.status, 200, "POST {path}: {}", r.body);
        r.json()
    }

    /// OP only: walks the OP's login and consent pages for the authorisation URL `url` as `login` (consenting)
    /// and returns the redirect's parameters: `{"callbackUrl", "code", "state", "iss"}`, or
    /// `{"error", "error_description", ...}` when the OP refuses.
    pub fn drive(&self, url: &str, login: &str) -> Value {
        self.drive_with(url, login, true)
    }

    /// Like `drive`, choosing whether the user consents (`false` aborts at the consent page: `access_denied`).
    pub fn drive_with(&self, url: &str, login: &str, consent: bool) -> Value {
        self.post_json(
            "/__test/drive",
            &serde_json::json!({ "url": url, "login": login, "consent": consent }),
        )
    }

    /// OP only: `/__test/stats` → `{"jwks": n, "token": n, "userinfo": n}`.
    pub fn stats(&self) -> Value {
        self.get_json("/__test/stats")
    }

    pub fn reset_stats(&self) {
        self.post_json("/__test/stats/reset", &Value::Null);
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Closing stdin alone would do; killing makes it immediate.
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `application/x-www-form-urlencoded` encoding of pairs.
pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// POST a form; `headers` are extra headers (e.g. authorization).
pub fn post_form(url: &str, pairs: &[(&str, &str)], headers: &[(&str, &str)]) -> HttpResponse {
    let mut h = vec![("content-type", "application/x-www-form-urlencoded")];
    h.extend_from_slice(headers);
    http("POST", url, &h, Some(form(pairs).as_bytes()))
}

/// A minimal blocking HTTP/1.1 client over std's `TcpStream` (http:// only, `Connection: close`, redirects are
/// not followed). Panics on transport errors.
pub fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> HttpResponse {
    let u = url::Url::parse(url).unwrap_or_else(|e| panic!("bad URL {url}: {e}"));
    assert_eq!(u.scheme(), "http", "only http:// here: {url}");
    let host = u.host_str().expect("host");
    let port = u.port_or_known_default().expect("port");
    let mut target = u.path().to_string();
    if let Some(q) = u.query() {
        target.push('?');
        target.push_str(q);
    }
    let mut stream =
        TcpStream::connect((host, port)).unwrap_or_else(|e| panic!("connect {host}:{port}: {e}"));
    stream.set_read_timeout(Some(HTTP_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(HTTP_TIMEOUT)).unwrap();
    let mut req =
        format!("{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n");
    let mut has_accept = false;
    for (k, v) in headers {
        has_accept |= k.eq_ignore_ascii_case("accept");
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has_accept {
        req.push_str("Accept: application/json\r\n");
    }
    let body = body.unwrap_or(b"");
    if method != "GET" || !body.is_empty() {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).expect("write request");
    stream.write_all(body).expect("write body");
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("{method} {url}: reading the response: {e}"));
    parse_response(&raw).unwrap_or_else(|| {
        panic!(
            "{method} {url}: unparsable response: {}",
            String::from_utf8_lossy(&raw[..raw.len().min(300)])
        )
    })
}

fn parse_response(raw: &[u8]) -> Option<HttpResponse> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    if chunked {
        body = dechunk(&body)?;
    } else if let Some((_, len)) = headers.iter().find(|(k, _)| k == "content-length") {
        body.truncate(len.parse().ok()?);
    }
    Some(HttpResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// base64url without padding.
pub fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Standard base64 (with padding) of a string, as in an HTTP Basic `Authorization` header.
pub fn basic_b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
}

/// A PKCE pair `(code_verifier, code_challenge)` with method S256 (RFC 7636): 32 random bytes as the verifier.
pub fn pkce_s256() -> (String, String) {
    use sha2::Digest;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("random bytes");
    let verifier = b64url(&bytes);
    let challenge = b64url(&sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The decoded header and payload of a compact JWS (not verified).
pub fn jwt_parts(token: &str) -> (Value, Value) {
    use base64::Engine;
    let mut parts = token.split('.');
    let mut decode = |what: &str| -> Value {
        let p = parts.next().unwrap_or_else(|| panic!("JWT without {what}"));
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .unwrap_or_else(|e| panic!("JWT {what} is not base64url: {e}"));
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("JWT {what} is not JSON: {e}"))
    };
    let header = decode("header");
    let payload = decode("payload");
    (header, payload)
}
