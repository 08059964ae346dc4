//! The HTTP client the OAuth flow talks to providers with, and the I/O runtime it runs on.
//!
//! Why a runtime of its own (README "Network I/O"): the engine's futures are polled by whatever thread the
//! host uses (Node's JS thread, a Python thread, a Kotlin dispatcher thread), which must never wait on the
//! network. A request is spawned onto one small process-wide tokio runtime, started on the first network call,
//! and the caller's future awaits a oneshot channel, which works under any executor. Nothing but I/O runs on
//! that runtime: host callbacks are never called from it.
//!
//! The default client is strict by construction: rustls with the `ring` provider and webpki roots (no
//! OpenSSL, no process-global TLS provider installed), redirects never followed (a redirecting token
//! endpoint is an error, not a hop to wherever it points), connect and total timeouts, and a cap on the
//! response size. A host may inject its own [`HttpClient`] (a proxy, a test transport).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use thiserror::Error;

use crate::io::on_io;

/// An HTTP method the flow uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
}

/// One request to a provider.
#[derive(Clone)]
pub struct HttpRequest {
    pub method: HttpMethod,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// Headers and bodies may hold a client secret or a token: only the method and URL are shown.
impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// A provider's answer, whole (bounded by the size cap).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request got no usable answer. Messages name the URL's host at most, never a header or a body.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum HttpError {
    #[error("the request timed out")]
    Timeout,
    #[error("the server answered with a redirect ({status}), which is not followed")]
    Redirect { status: u16 },
    #[error("the response is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("the request failed: {0}")]
    Other(String),
}

/// Sends one request; the engine calls it from its own futures, so an implementation must not block.
#[async_trait]
pub trait HttpClient: Send + Sync {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;
}

/// Limits of the default client.
#[derive(Debug, Clone, Copy)]
pub struct HttpPolicy {
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    pub max_response_bytes: usize,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(15),
            max_response_bytes: 1024 * 1024,
        }
    }
}

/// The default client: reqwest over rustls (ring), run on the I/O runtime.
pub struct DefaultHttpClient {
    client: reqwest::Client,
    policy: HttpPolicy,
}

impl DefaultHttpClient {
    pub fn new(policy: HttpPolicy) -> Result<Self, HttpError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        // ring rather than aws-lc-rs: no C toolchain beyond ring's, and the same build on every target the
        // bindings ship to. Its lack of post-quantum key exchange is what the deprecation note is about.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| HttpError::Other(format!("TLS set-up: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.total_timeout)
            .no_proxy()
            .build()
            .map_err(|e| HttpError::Other(format!("client set-up: {e}")))?;
        Ok(DefaultHttpClient { client, policy })
    }

    async fn execute(
        client: reqwest::Client,
        policy: HttpPolicy,
        request: HttpRequest,
    ) -> Result<HttpResponse, HttpError> {
        let method = match request.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
        };
        let mut builder = client.request(method, &request.url);
        for (k, v) in &request.headers {
            builder = builder.header(k, v);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let mut response = builder.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(HttpError::Redirect { status });
        }
        let limit = policy.max_response_bytes;
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(HttpError::TooLarge { limit });
        }
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > limit {
                return Err(HttpError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

fn classify(e: reqwest::Error) -> HttpError {
    if e.is_timeout() {
        HttpError::Timeout
    } else if e.is_connect() {
        HttpError::Connect(host_of(e.url()))
    } else {
        HttpError::Other(host_of(e.url()))
    }
}

/// Only the host of a failed URL is worth a message: its query may carry a code or a token.
fn host_of(url: Option<&reqwest::Url>) -> String {
    url.and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "unknown host".to_string())
}

#[async_trait]
impl HttpClient for DefaultHttpClient {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        on_io(Self::execute(self.client.clone(), self.policy, request))
            .await
            .unwrap_or_else(|| Err(HttpError::Other("the I/O runtime stopped".into())))
    }
}
