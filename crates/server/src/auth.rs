//! Who is calling: a bearer token (other systems, scripts) or a browser
//! session cookie (the console).
//!
//! A browser signs in once with the user's token (docs/users.md); the server
//! keeps that token in memory against a fresh random session id and gives
//! the browser only the id, in a `Secure; HttpOnly; SameSite=Strict` cookie
//! that scripts cannot read and other sites cannot make it send. Every
//! request signs in again with the kept token through
//! [`Store::authenticate`](lfr_store::Store::authenticate), so a deactivated
//! user, a changed role or a reissued token takes effect at the next click.
//! Sessions end at sign-out, after [`SESSION_LIFETIME`], after
//! [`SESSION_IDLE`] without a request, or when the server restarts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lfr_base::Clock;
use lfr_domain::role::User;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::App;
use crate::error::{ApiError, ApiResult};

/// The session cookie. `__Host-` makes browsers insist on `Secure`, `Path=/`
/// and no `Domain`, so no other host can set or read it.
pub const COOKIE: &str = "__Host-lfr_session";

/// A session lasts one shift at most.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// A console left without a request this long signs out, so a forgotten
/// session does not stay usable. The console's own refreshes count as
/// requests: a queue left open on screen stays signed in (docs/users.md).
pub const SESSION_IDLE: Duration = Duration::from_secs(30 * 60);

struct Session {
    token: Zeroizing<String>,
    started: Duration,
    last_used: Duration,
}

impl Session {
    fn live(&self, now: Duration) -> bool {
        now.saturating_sub(self.started) < SESSION_LIFETIME
            && now.saturating_sub(self.last_used) < SESSION_IDLE
    }
}

/// Signed-in browsers, by the SHA-256 of their session id (so a memory dump
/// of the map alone does not yield a usable cookie). Time is read from the
/// store's clock, so lifetimes are testable.
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    clock: Arc<dyn Clock>,
}

fn digest(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

impl Sessions {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            map: Mutex::default(),
            clock,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a session for an authenticated token; returns the cookie value.
    pub fn start(&self, token: &str) -> ApiResult<String> {
        let mut b = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(&mut b[..]).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                format!("no system randomness for a session id: {e}"),
            )
        })?;
        let id = hex::encode(&b[..]);
        let now = self.clock.monotonic();
        let mut map = self.lock();
        map.retain(|_, s| s.live(now));
        map.insert(
            digest(&id),
            Session {
                token: Zeroizing::new(token.trim().to_string()),
                started: now,
                last_used: now,
            },
        );
        Ok(id)
    }

    /// The token behind a live session, marking it used now.
    fn token(&self, id: &str) -> Option<Zeroizing<String>> {
        let now = self.clock.monotonic();
        let mut map = self.lock();
        let key = digest(id);
        match map.get_mut(&key) {
            Some(s) if s.live(now) => {
                s.last_used = now;
                Some(s.token.clone())
            }
            Some(_) => {
                map.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Whether a session is still live, without counting this as its use.
    pub fn alive(&self, id: &str) -> bool {
        let now = self.clock.monotonic();
        self.lock().get(&digest(id)).is_some_and(|s| s.live(now))
    }

    pub fn end(&self, id: &str) {
        self.lock().remove(&digest(id));
    }

    /// Live sessions (those ended by time are dropped first).
    pub fn count(&self) -> usize {
        let now = self.clock.monotonic();
        let mut map = self.lock();
        map.retain(|_, s| s.live(now));
        map.len()
    }
}

/// The signed-in user behind a request. Extracting it fails with 401 when
/// nobody is signed in, and refuses cross-site writes made with a cookie.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    /// The browser session's id for a caller signed in with the cookie;
    /// `None` for a bearer token.
    pub session: Option<String>,
}

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// A write made with a cookie must come from this server's own pages:
/// browsers send `Origin` on every cross-site write, and it must name us.
fn same_origin(parts: &Parts) -> bool {
    let Some(origin) = parts.headers.get(header::ORIGIN) else {
        return true;
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let origin = origin.to_str().unwrap_or("");
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest == host)
}

impl Caller {
    /// Signs in from the request's bearer token or session cookie, if any.
    pub async fn from_parts(parts: &Parts, app: &App) -> ApiResult<Option<Self>> {
        if let Some(token) = bearer(&parts.headers) {
            let user = authenticate(app, client(parts), token).await?;
            return Ok(Some(Caller {
                user,
                session: None,
            }));
        }
        let Some(id) = cookie_value(&parts.headers, COOKIE) else {
            return Ok(None);
        };
        let Some(token) = app.sessions.token(&id) else {
            return Ok(None);
        };
        let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if unsafe_method && !same_origin(parts) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "refused",
                "a write from another site's page was refused; use the lfr console itself",
            ));
        }
        match authenticate(app, client(parts), &token).await {
            Ok(user) => Ok(Some(Caller {
                user,
                session: Some(id),
            })),
            Err(e) => {
                // Held off by the throttle is not signed out: the session stays.
                if e.status == StatusCode::UNAUTHORIZED {
                    app.sessions.end(&id);
                }
                Err(e)
            }
        }
    }
}

/// The client's address, when the server was started with it
/// ([`crate::serve`]); tests that call the router directly have none.
fn client(parts: &Parts) -> Option<std::net::IpAddr> {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
}

/// Signs a token in, unless its address is held off for failing too often
/// ([`crate::throttle`]); a failure counts against the address.
async fn authenticate(app: &App, ip: Option<std::net::IpAddr>, token: &str) -> ApiResult<User> {
    if let Some(ip) = ip {
        app.throttle.check(ip).map_err(ApiError::too_many)?;
    }
    match app.store.authenticate(token).await {
        Err(lfr_store::StoreError::Unauthenticated(m)) => {
            if let Some(ip) = ip {
                app.throttle.failed(ip);
            }
            Err(ApiError::unauthenticated(m))
        }
        other => Ok(other?),
    }
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        Caller::from_parts(parts, app).await?.ok_or_else(|| {
            ApiError::unauthenticated(
                "not signed in: send `Authorization: Bearer TOKEN` with the token from `lfr user add` or `lfr user token`, or sign in at /signin",
            )
        })
    }
}

/// The caller if signed in, `None` if not (for pages that show a sign-in prompt).
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<App> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        match Caller::from_parts(parts, app).await {
            Ok(c) => Ok(MaybeCaller(c)),
            Err(e) if e.status == StatusCode::UNAUTHORIZED => Ok(MaybeCaller(None)),
            Err(e) => Err(e),
        }
    }
}

/// A user as the API shows them: no token, with what they may do.
#[derive(Debug, Serialize)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<String>,
    pub rank: String,
    /// The actions of the role table (`policy::Action`) this user may take.
    pub may: Vec<&'static str>,
}

impl From<&User> for Me {
    fn from(u: &User) -> Self {
        use lfr_domain::policy::{Action, role_permits};
        Me {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            roles: u.roles.iter().map(|r| r.to_string()).collect(),
            rank: u.rank.to_string(),
            may: Action::ALL
                .iter()
                .filter(|a| role_permits(u, **a).is_ok())
                .map(|a| a.as_str())
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct SignIn {
    pub token: String,
}

fn set_cookie(value: &str, max_age: u64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    ))
    .expect("cookie text is ASCII")
}

/// `POST /api/session`: signs in with a token and starts a browser session.
pub async fn sign_in(
    State(app): State<App>,
    parts: Parts,
    Json(body): Json<SignIn>,
) -> ApiResult<Response> {
    let user = authenticate(&app, client(&parts), &body.token).await?;
    let id = app.sessions.start(&body.token)?;
    let mut res = Json(Me::from(&user)).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(&id, SESSION_LIFETIME.as_secs()),
    );
    Ok(res)
}

/// `DELETE /api/session`: signs out; the session id stops working at once.
pub async fn sign_out(headers: HeaderMap, State(app): State<App>) -> Response {
    if let Some(id) = cookie_value(&headers, COOKIE) {
        app.sessions.end(&id);
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, set_cookie("", 0));
    res
}

/// `GET /api/session`: who is signed in.
pub async fn whoami(caller: Caller) -> Json<Me> {
    Json(Me::from(&caller.user))
}

/// Rejects a request early when the user's roles do not allow `action`,
/// for pages and streams that have no single store call to ask. The store
/// still checks (and audits) every real action.
pub fn role_allows(user: &User, action: lfr_domain::policy::Action) -> bool {
    lfr_domain::policy::role_permits(user, action).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lfr_base::SimulatedClock;

    fn mins(m: i64) -> jiff::SignedDuration {
        jiff::SignedDuration::from_mins(m)
    }

    #[test]
    fn a_session_ends_when_idle_and_after_a_shift_however_busy() {
        let clock = Arc::new(SimulatedClock::at("2026-12-06T08:00:00Z"));
        let sessions = Sessions::new(clock.clone());
        let idle = sessions.start("lfr_token").unwrap();
        let busy = sessions.start("lfr_token").unwrap();
        clock.advance(mins(29));
        assert!(sessions.token(&busy).is_some(), "used at 29 min");
        clock.advance(mins(2));
        assert!(sessions.token(&idle).is_none(), "31 min without a request");
        assert!(
            sessions.token(&busy).is_some(),
            "2 min since its last request"
        );
        for _ in 0..(12 * 60 / 20) {
            clock.advance(mins(20));
            sessions.token(&busy);
        }
        assert!(
            sessions.token(&busy).is_none(),
            "a shift is 12 hours at most"
        );
        assert_eq!(sessions.count(), 0);
    }
}
