//! `GET /console/live?d=D&camera=NAME`: one camera's live view for the
//! operator and the commanders, refreshed every second by the script. The
//! picture is coarse and every face not alerted on is filled over
//! (`lfr_live::view`); it is made only while this page asks for it.

use axum::extract::{Query, State};
use axum::http::request::Parts;
use lfr_domain::ids::DeploymentId;
use maud::html;
use serde::Deserialize;

use super::{PageResult, as_user, layout, signed_in};
use crate::App;

#[derive(Deserialize)]
pub struct Which {
    d: i64,
    camera: String,
}

pub async fn page(parts: Parts, State(app): State<App>, Query(q): Query<Which>) -> PageResult {
    let c = signed_in(&parts, &app).await?;
    let d = DeploymentId(q.d);
    as_user(
        app.store.may_view_live(&c.user, d, &q.camera).await,
        &c.user,
    )?;
    let src = format!(
        "/api/deployments/{}/cameras/{}/view",
        d.0,
        urlencoding(&q.camera)
    );
    let title = format!("Live view: {} (D{})", q.camera, d.0);
    Ok(layout(
        &title,
        Some(&c.user),
        "/console/alerts",
        html! {
            p.quiet {
                "The picture is coarse and every face that has not raised an alert is filled over; "
                "a face that raised one is sharp, in a red box. Nothing of it is recorded."
            }
            figure.live {
                img #live-view data-live-view=(src) alt={ "Live view of camera " (q.camera) } width="960";
                figcaption #live-age role="status" { "Waiting for the first picture…" }
            }
        },
    ))
}

/// `s` made safe for a URL path segment.
fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
