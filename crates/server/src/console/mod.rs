//! The console: server-rendered pages, one module per resource, with one
//! small script (`assets/console.js`, no build step) that sends forms to the
//! API, listens to the event stream and adds keyboard shortcuts. Every page
//! reads through the store with the signed-in user's rights, so a page a
//! role may not see is refused, and audited, exactly as the API refuses it.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use lfr_domain::policy::Action;
use lfr_domain::role::{Role, User};
use maud::{DOCTYPE, Markup, html};

use crate::App;
use crate::auth::role_allows;
use crate::error::ApiError;

mod alerts;
mod audit;
mod blue;
mod dashboard;
mod deployments;
mod live;
mod public;
mod retention;
mod time;
mod watchlists;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(public::page))
        .route("/signin", get(public::sign_in))
        .route("/console", get(home))
        .route("/console/alerts", get(alerts::queue))
        .route("/console/alerts/{a}/card", get(alerts::card_fragment))
        .route("/console/alerts/cameras", get(alerts::camera_fragment))
        .route("/console/live", get(live::page))
        .route("/console/engagement", get(alerts::engagement))
        .route("/console/dashboard", get(dashboard::page))
        .route(
            "/console/dashboard/figures",
            get(dashboard::figures_fragment),
        )
        .route("/console/blue-passes", get(blue::page))
        .route("/console/blue-passes/list", get(blue::list_fragment))
        .route("/console/deployments", get(deployments::list))
        .route("/console/deployments/new", get(deployments::new))
        .route("/console/deployments/{d}", get(deployments::show))
        .route("/console/watchlists/{w}", get(watchlists::page))
        .route("/console/audit", get(audit::page))
        .route("/console/retention", get(retention::page))
        .route("/assets/console.css", get(css))
        .route("/assets/console.js", get(js))
}

async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../assets/console.css"),
    )
        .into_response()
}

async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../assets/console.js"),
    )
        .into_response()
}

/// A page, or why not: not signed in sends the browser to sign in; a
/// refusal shows the rule and what would allow it, with status 403.
pub enum PageError {
    SignIn,
    /// The user is boxed to keep the error small (it rides every `Result`).
    Failed(ApiError, Option<Box<User>>),
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError::Failed(e, None)
    }
}

impl From<lfr_store::StoreError> for PageError {
    fn from(e: lfr_store::StoreError) -> Self {
        PageError::Failed(e.into(), None)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn => Redirect::to("/signin").into_response(),
            PageError::Failed(e, _) if e.status == StatusCode::UNAUTHORIZED => {
                Redirect::to("/signin").into_response()
            }
            PageError::Failed(e, user) => {
                let title = match e.status {
                    StatusCode::FORBIDDEN => "Not allowed",
                    StatusCode::NOT_FOUND => "Not found",
                    StatusCode::BAD_REQUEST => "Not understood",
                    _ => "Something went wrong",
                };
                let body = html! {
                    div.refusal role="alert" {
                        p.big { (e.body.message) }
                        @if let Some(rule) = e.body.rule {
                            p { "Rule: " code { (rule) } ". This refusal is recorded in the audit log." }
                        }
                    }
                    p { a href="/console" { "Back to the console" } }
                };
                (e.status, layout(title, user.as_deref(), "", body)).into_response()
            }
        }
    }
}

pub type PageResult = Result<Markup, PageError>;

/// Signs in a page's caller, or sends the browser to the sign-in page.
pub async fn signed_in(
    parts: &axum::http::request::Parts,
    app: &App,
) -> Result<crate::auth::Caller, PageError> {
    match crate::auth::Caller::from_parts(parts, app).await {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(PageError::SignIn),
        Err(e) => Err(e.into()),
    }
}

/// Attaches the user to an error, so the refusal page keeps its navigation.
pub fn as_user<T>(r: Result<T, impl Into<ApiError>>, u: &User) -> Result<T, PageError> {
    r.map_err(|e| PageError::Failed(e.into(), Some(Box::new(u.clone()))))
}

/// The pages a user's roles lead to, in the order they are most used.
fn nav_items(u: &User) -> Vec<(&'static str, &'static str)> {
    let mut v = Vec::new();
    if role_allows(u, Action::Adjudicate) {
        v.push(("/console/alerts", "Alert queue"));
    }
    if role_allows(u, Action::RecordEngagement) {
        v.push(("/console/engagement", "Engagement"));
    }
    // The AO and the auditor answer for the figures too; they see the
    // cameras' counts without the alerts behind them.
    if role_allows(u, Action::ReadFullReport) {
        v.push(("/console/dashboard", "Dashboard"));
    }
    if role_allows(u, Action::ReadBluePasses) {
        v.push(("/console/blue-passes", "Blue passes"));
    }
    if role_allows(u, Action::ReadDeployments) {
        v.push(("/console/deployments", "Deployments"));
    }
    // Those who answer for a deployment's data, and oversee it.
    if u.has_any(&[
        Role::SilverCommander,
        Role::GoldCommander,
        Role::AuthorisingOfficer,
        Role::Auditor,
        Role::Administrator,
    ]) {
        v.push(("/console/retention", "Retention"));
    }
    if role_allows(u, Action::ReadAudit) {
        v.push(("/console/audit", "Audit log"));
    }
    v
}

/// `GET /console`: each user starts on the page of their main role.
async fn home(
    parts: axum::http::request::Parts,
    axum::extract::State(app): axum::extract::State<App>,
) -> Result<Redirect, PageError> {
    let c = signed_in(&parts, &app).await?;
    let first = nav_items(&c.user)
        .first()
        .map(|(href, _)| *href)
        .unwrap_or("/");
    Ok(Redirect::to(first))
}

/// The page shell: skip link, navigation for the user's roles, the main
/// region, and a polite live region the script announces changes in.
pub fn layout(title: &str, user: Option<&User>, current: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="dark";
                title { (title) " · lfr" }
                link rel="stylesheet" href="/assets/console.css";
                // No icon to fetch: an empty one keeps browsers from asking for /favicon.ico.
                link rel="icon" href="data:,";
                script src="/assets/console.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to main content" }
                header.top {
                    a.brand href=(if user.is_some() { "/console" } else { "/" }) { "lfr" }
                    @if let Some(u) = user {
                        nav aria-label="Console" {
                            ul {
                                @for (href, label) in nav_items(u) {
                                    li { a href=(href) aria-current=[(href == current).then_some("page")] { (label) } }
                                }
                                li { a href="/" { "Public page" } }
                            }
                        }
                        div.who {
                            span { (u.display_name) " (" (u.roles.iter().map(|r| r.as_str().replace('_', " ")).collect::<Vec<_>>().join(", ")) ")" }
                            button type="button" data-signout { "Sign out" }
                        }
                    } @else {
                        nav aria-label="Site" { ul { li { a href="/signin" { "Staff sign-in" } } } }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                div #announce .visually-hidden role="status" aria-live="polite" aria-atomic="true" {}
            }
        }
    }
}

/// A form the script sends to the API as JSON. `then` is `reload`,
/// `back`, or a URL to go to on success.
pub fn api_form(path: &str, then: &str, label: &str, fields: Markup) -> Markup {
    html! {
        form.api data-api=(path) data-then=(then) {
            (fields)
            p.error role="alert" {}
            button type="submit" { (label) }
        }
    }
}

pub fn text_field(name: &str, label: &str, required: bool) -> Markup {
    let id = format!("f-{name}");
    html! {
        p.field {
            label for=(id) { (label) }
            textarea id=(id) name=(name) rows="2" required[required] {}
        }
    }
}
