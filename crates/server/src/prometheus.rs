//! `/metrics` in Prometheus' text format: counters since the server started
//! (Prometheus copes with restarts) and the cameras' running figures. No
//! names, images or scores of anyone: counts only, so it needs no sign-in;
//! keep the server on localhost or behind the force's network controls.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::App;
use crate::events::Event;

/// Event counts by label set.
#[derive(Default)]
pub struct Counters {
    alerts: Mutex<BTreeMap<(String, String), u64>>,
    decisions: Mutex<BTreeMap<(String, String), u64>>,
    deployment_actions: Mutex<BTreeMap<(String, String), u64>>,
}

fn bump(m: &Mutex<BTreeMap<(String, String), u64>>, k: (String, String)) {
    *m.lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(k)
        .or_default() += 1;
}

impl Counters {
    pub fn count(&self, e: &Event) {
        let d = format!("D{}", e.deployment());
        match e {
            Event::AlertRaised { alert, .. } => bump(&self.alerts, (d, alert.camera.clone())),
            Event::AlertUpdated { alert, .. } => {
                bump(&self.decisions, (d, alert.class().to_string()))
            }
            Event::DeploymentChanged { action, .. } => {
                bump(&self.deployment_actions, (d, action.clone()))
            }
            Event::AlertSeenAgain { .. } | Event::CameraFigures { .. } | Event::BluePass { .. } => {
            }
        }
    }

    pub fn alerts_raised(&self) -> u64 {
        self.alerts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .sum()
    }
}

/// Escapes a label value as the exposition format requires.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn pairs(out: &mut String, name: &str, second: &str, m: &Mutex<BTreeMap<(String, String), u64>>) {
    for ((d, x), n) in m.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        let _ = writeln!(
            out,
            "{name}{{deployment=\"{}\",{second}=\"{}\"}} {n}",
            label(d),
            label(x)
        );
    }
}

/// Renders every metric.
pub fn render(app: &App) -> String {
    let mut out = String::new();
    let c = &app.hub.counters;
    family(
        &mut out,
        "lfr_alerts_raised_total",
        "counter",
        "Alerts raised since the server started.",
    );
    pairs(&mut out, "lfr_alerts_raised_total", "camera", &c.alerts);
    family(
        &mut out,
        "lfr_alert_decisions_total",
        "counter",
        "Adjudications, engagement findings and outcomes recorded, by the alert's resulting class.",
    );
    pairs(&mut out, "lfr_alert_decisions_total", "class", &c.decisions);
    family(
        &mut out,
        "lfr_deployment_actions_total",
        "counter",
        "Deployment lifecycle actions taken through the server.",
    );
    pairs(
        &mut out,
        "lfr_deployment_actions_total",
        "action",
        &c.deployment_actions,
    );
    let cams = app.cameras.cameras();
    for (name, help, get) in [
        (
            "lfr_camera_frames_analysed_total",
            "Frames analysed by the camera's pipeline.",
            (|s: &crate::CameraStatus| s.frames_analysed) as fn(&crate::CameraStatus) -> u64,
        ),
        (
            "lfr_camera_faces_scanned_total",
            "Faces scanned (tracks that reached the quality gate).",
            |s| s.faces_scanned,
        ),
        (
            "lfr_camera_dropped_frames_total",
            "Frames dropped on purpose because the pipeline could not keep up.",
            |s| s.dropped_frames,
        ),
    ] {
        family(&mut out, name, "counter", help);
        for s in &cams {
            let _ = writeln!(
                out,
                "{name}{{deployment=\"D{}\",camera=\"{}\"}} {}",
                s.deployment,
                label(&s.name),
                get(s)
            );
        }
    }
    family(
        &mut out,
        "lfr_camera_up",
        "gauge",
        "1 while frames arrive from the camera (streaming, or degraded but decoding).",
    );
    for s in &cams {
        let up = u8::from(matches!(s.state.as_str(), "streaming" | "degraded"));
        let _ = writeln!(
            out,
            "lfr_camera_up{{deployment=\"D{}\",camera=\"{}\"}} {up}",
            s.deployment,
            label(&s.name)
        );
    }
    family(
        &mut out,
        "lfr_console_sessions",
        "gauge",
        "Signed-in browser sessions.",
    );
    let _ = writeln!(out, "lfr_console_sessions {}", app.sessions.count());
    family(
        &mut out,
        "lfr_event_stream_listeners",
        "gauge",
        "Open event streams (console pages and other systems).",
    );
    let _ = writeln!(out, "lfr_event_stream_listeners {}", app.hub.listeners());
    out
}

/// `GET /metrics`.
/// Needs a sign-in whose roles may read metrics: the counts are live and
/// per camera, which says where a deployment is finding people.
pub async fn metrics_handler(
    State(app): State<App>,
    c: crate::auth::Caller,
) -> axum::response::Response {
    if let Err(r) =
        lfr_domain::policy::role_permits(&c.user, lfr_domain::policy::Action::ReadMetrics)
    {
        return crate::error::ApiError::from(lfr_store::StoreError::Refused(r)).into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&app),
    )
        .into_response()
}
