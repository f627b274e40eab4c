//! The OpenAPI 3.1 description of the API, served at `/api/openapi.json`.
//!
//! Built from one table, [`OPERATIONS`], which names each route, its body,
//! its answer and the role-table action ([`Action`]) that decides who may
//! call it; the roles listed come from the domain's own table, so the
//! document cannot disagree with what the store enforces. A test checks that
//! every operation listed here is routed.

use axum::Json;
use lfr_domain::alert::{Adjudication, EngagementOutcome, PolicingOutcome};
use lfr_domain::blue::{self, PassState};
use lfr_domain::deployment::{DeploymentState, DeploymentStyle, UseCase};
use lfr_domain::policy::Action;
use lfr_domain::role::{Rank, Role};
use lfr_domain::watchlist::{Category, QualityGrade, WatchlistKind};
use serde_json::{Map, Value, json};

/// One documented operation.
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub id: &'static str,
    pub summary: &'static str,
    /// The action of the role table that decides; `None` for public routes
    /// or routes any signed-in user may call.
    pub action: Option<Action>,
    pub public: bool,
    /// Schema name of the JSON body, if any.
    pub body: Option<&'static str>,
    /// Schema name of the answer: a component, `image`, `events`, `none`, or `text`.
    pub answer: &'static str,
    pub list: bool,
}

macro_rules! op {
    ($m:literal $p:literal $id:literal, $s:literal, $a:expr, $body:expr, $ans:literal $(, $list:literal)?) => {
        Operation { method: $m, path: $p, id: $id, summary: $s, action: $a, public: false, body: $body, answer: $ans, list: false $(|| $list)? }
    };
}

use Action as A;

pub const OPERATIONS: &[Operation] = &[
    op!("post" "/api/session" "signIn", "Sign in with a user token; starts a browser session (cookie)", None, Some("SignIn"), "Me"),
    op!("get" "/api/session" "whoAmI", "The signed-in user and the actions their roles allow", None, None, "Me"),
    op!("delete" "/api/session" "signOut", "Sign out: the session cookie stops working", None, None, "none"),
    op!("get" "/api/events" "events", "Server-Sent Events: alerts and state changes, alert context only for roles that may view alerts", None, None, "events"),
    op!("get" "/api/deployments" "listDeployments", "All deployments", Some(A::ReadDeployments), None, "Deployment", true),
    op!("post" "/api/deployments" "applyForDeployment", "Apply for a deployment", Some(A::ApplyForDeployment), Some("Application"), "Deployment"),
    op!("get" "/api/deployments/outstanding" "outstanding", "What is owed or overdue: reviews, confirmations, cancellations, records", Some(A::ReadDeployments), None, "Outstanding", true),
    op!("get" "/api/deployments/{d}" "getDeployment", "One deployment", Some(A::ReadDeployments), None, "Deployment"),
    op!("post" "/api/deployments/{d}/authorise" "authorise", "Grant written (or urgent verbal) authority", Some(A::Authorise), Some("AuthoriseBody"), "Deployment"),
    op!("post" "/api/deployments/{d}/confirm" "confirmVerbalAuthority", "Confirm urgent verbal authority in writing", Some(A::ConfirmVerbalAuthority), None, "Deployment"),
    op!("post" "/api/deployments/{d}/start" "start", "Start recognition", Some(A::StartRecognition), None, "Deployment"),
    op!("post" "/api/deployments/{d}/suspend" "suspend", "Suspend recognition", Some(A::Suspend), Some("ReasonBody"), "Deployment"),
    op!("post" "/api/deployments/{d}/resume" "resume", "Resume recognition after a suspension", Some(A::Resume), None, "Deployment"),
    op!("post" "/api/deployments/{d}/terminate" "terminate", "End the deployment early", Some(A::Terminate), Some("ReasonBody"), "Deployment"),
    op!("post" "/api/deployments/{d}/conclude" "conclude", "End the deployment as planned", Some(A::Conclude), None, "Deployment"),
    op!("post" "/api/deployments/{d}/cancel-authority" "cancelAuthority", "Cancel the authority after the end", Some(A::CancelAuthority), None, "Deployment"),
    op!("post" "/api/deployments/{d}/withdraw-authority" "withdrawAuthority", "Withdraw the authority of a deployment that has not ended: it ends now", Some(A::CancelAuthority), Some("ReasonBody"), "Deployment"),
    op!("post" "/api/deployments/{d}/record" "submitDeploymentRecord", "Record that the deployment record went to the AO", Some(A::SubmitDeploymentRecord), Some("NoteBody"), "Deployment"),
    op!("get" "/api/deployments/{d}/reviews" "listReviews", "Reviews recorded while the deployment ran", Some(A::ReadDeployments), None, "Review", true),
    op!("post" "/api/deployments/{d}/reviews" "recordReview", "Record a review; continue_deployment false suspends", Some(A::RecordReview), Some("ReviewBody"), "Review"),
    op!("get" "/api/deployments/{d}/figures" "figures", "The Silver Commander's figures: totals and per camera", Some(A::ReadFullReport), None, "Figures"),
    op!("get" "/api/deployments/{d}/cameras/{camera}/view" "cameraView", "A camera's live view: its latest analysed frame, coarse, every face not alerted on blurred (in memory only; on the node that runs the camera)", Some(A::ViewLive), None, "image"),
    op!("get" "/api/deployments/{d}/cameras" "listCameras", "The deployment's cameras and the node that runs each (no settings)", Some(A::ReadDeployments), None, "Camera", true),
    op!("post" "/api/deployments/{d}/cameras/{camera}/assign" "assignCamera", "Move a camera to another node: the node running it stops it, and the new one starts it within seconds", Some(A::ManageCameras), Some("AssignBody"), "Camera"),
    op!("get" "/api/deployments/{d}/team" "listTeam", "Who works on the deployment (Silver Commanders, Operators, Engagement Officers and System Engineers see a deployment only from its team)", Some(A::ReadDeployments), None, "Member", true),
    op!("post" "/api/deployments/{d}/team" "changeTeam", "Add a user to the team, or take one off (at once)", Some(A::ManageTeam), Some("TeamBody"), "Member", true),
    op!("get" "/api/deployments/{d}/alerts" "listAlerts", "The deployment's alerts, newest first", Some(A::ViewAlerts), None, "AlertView", true),
    op!("get" "/api/deployments/{d}/report" "publicReport", "Produce the public post-deployment report (not yet published)", Some(A::PublishReport), None, "PublicReport"),
    op!("post" "/api/deployments/{d}/report/publish" "publishReport", "Publish the report of an ended deployment on the public page", Some(A::PublishReport), None, "PublicReport"),
    op!("get" "/api/deployments/{d}/watchlists" "listWatchlists", "The deployment's watchlists", Some(A::ReadDeployments), None, "WatchlistSummary", true),
    op!("post" "/api/deployments/{d}/watchlists" "createWatchlist", "Create an empty watchlist (then import into it)", Some(A::CompileWatchlist), Some("CreateWatchlistBody"), "Watchlist"),
    op!("get" "/api/watchlists/{w}" "getWatchlist", "One watchlist", Some(A::ReadDeployments), None, "Watchlist"),
    op!("get" "/api/watchlists/{w}/inclusions" "listInclusions", "Inclusions; names only for commanders and the AO (audited)", Some(A::ReadDeployments), None, "InclusionView", true),
    op!("post" "/api/watchlists/{w}/import" "importWatchlist", "Import subjects from a .tar or .tar.gz archive holding manifest.json and the images it names (docs/watchlists.md): every image graded and templated with the deployment's model; all or nothing, 422 with every problem. `?check=true` checks and stores nothing", Some(A::CompileWatchlist), Some("ImportArchive"), "ImportAnswer"),
    op!("post" "/api/watchlists/{w}/approve" "approveWatchlist", "Approve the watchlist as it stands", Some(A::ApproveWatchlist), Some("NoteBody"), "Watchlist"),
    op!("post" "/api/inclusions/{i}/remove" "removeInclusion", "Remove one inclusion", Some(A::CompileWatchlist), Some("ReasonBody"), "none"),
    op!("get" "/api/alerts/{a}" "getAlert", "One alert with its subject's reference and category", Some(A::ViewAlerts), None, "AlertView"),
    op!("post" "/api/alerts/{a}/adjudication" "adjudicate", "The operator's adjudication; `repeat` with `repeat_of` (`A12`) for the same person as an earlier alert already dealt with", Some(A::Adjudicate), Some("AdjudicationBody"), "AlertView"),
    op!("post" "/api/alerts/{a}/engagement" "recordEngagement", "The engagement officer's finding", Some(A::RecordEngagement), Some("EngagementBody"), "AlertView"),
    op!("post" "/api/alerts/{a}/outcome" "recordPolicingOutcome", "What policing action followed", Some(A::RecordEngagement), Some("OutcomeBody"), "AlertView"),
    op!("get" "/api/alerts/{a}/probe" "probeImage", "The probe crop (audited; deleted by retention after 24 hours)", Some(A::ViewAlerts), None, "image"),
    op!("get" "/api/images/{img}" "referenceImage", "A watchlist reference image (audited)", Some(A::ViewAlerts), None, "image"),
    op!("get" "/api/deployments/{d}/blue-passes" "listBluePasses", "Blue Watchlist passes: open ones (with the alert seen so far), then ended ones newest first", Some(A::ReadBluePasses), None, "BluePassView", true),
    op!("post" "/api/deployments/{d}/blue-passes" "startBluePass", "Mark a Blue Watchlist volunteer setting off through the Zone of Recognition", Some(A::MarkBluePass), Some("StartBluePassBody"), "BluePass"),
    op!("post" "/api/blue-passes/{p}/end" "endBluePass", "End a pass: recognised if an alert for the volunteer was raised since its start", Some(A::MarkBluePass), None, "BluePass"),
    op!("post" "/api/blue-passes/{p}/cancel" "cancelBluePass", "Cancel a pass that did not happen: it counts for nothing (audited)", Some(A::MarkBluePass), Some("CancelBluePassBody"), "BluePass"),
    op!("get" "/api/audit" "auditLog", "Audit entries, newest first (query: target, actor, refused, limit)", Some(A::ReadAudit), None, "AuditEntry", true),
    op!("get" "/api/audit/verify" "verifyAudit", "Check the audit log's hash chain", Some(A::ReadAudit), None, "Verification"),
    op!("get" "/api/users" "listUsers", "Users and their roles", Some(A::ReadDeployments), None, "Me", true),
    op!("post" "/api/users" "createUser", "Create a user; the token is shown once", Some(A::ManageUsers), Some("NewUserBody"), "Issued"),
    op!("post" "/api/users/{u}/token" "reissueToken", "Reissue a user's token; the old one stops working", Some(A::ManageUsers), None, "Issued"),
    op!("post" "/api/users/{u}/active" "setActive", "Deactivate or reactivate a user", Some(A::ManageUsers), Some("ActiveBody"), "none"),
    op!("get" "/api/role-changes" "pendingRoleChanges", "Role changes making or changing an Authorising Officer, awaiting a second administrator", Some(A::ManageUsers), None, "RoleChange", true),
    op!("post" "/api/role-changes/{c}/approve" "approveRoleChange", "Approve a pending role change (not its proposer, not the person changed, not with a token the proposer issued)", Some(A::ManageUsers), None, "Me"),
    op!("post" "/api/force" "setForceNotice", "Set the force's public notice: its name, legal basis and a contact for the public (printed in every published report; reports are published only once it is set)", Some(A::SetForceNotice), Some("ForceNotice"), "ForceNotice"),
    op!("post" "/api/retention/run" "runRetention", "Run retention now (it also runs by itself)", Some(A::RunRetention), None, "PurgeSummary"),
    Operation {
        method: "get",
        path: "/api/public/upcoming",
        id: "upcomingDeployments",
        summary: "Public: authorised deployments yet to end",
        action: None,
        public: true,
        body: None,
        answer: "UpcomingNotice",
        list: true,
    },
    Operation {
        method: "get",
        path: "/api/public/force",
        id: "forceNotice",
        summary: "Public: the force's legal basis and contact for LFR (null until set)",
        action: None,
        public: true,
        body: None,
        answer: "ForceNotice",
        list: false,
    },
    Operation {
        method: "get",
        path: "/api/public/reports",
        id: "publishedReports",
        summary: "Public: published post-deployment reports",
        action: None,
        public: true,
        body: None,
        answer: "PublicReport",
        list: true,
    },
    Operation {
        method: "get",
        path: "/api/openapi.json",
        id: "openapi",
        summary: "This document",
        action: None,
        public: true,
        body: None,
        answer: "text",
        list: false,
    },
    Operation {
        method: "get",
        path: "/metrics",
        id: "metrics",
        summary: "Prometheus metrics (counts only; a bearer token of a role that may read metrics)",
        action: Some(Action::ReadMetrics),
        public: false,
        body: None,
        answer: "text",
        list: false,
    },
];

fn names<T: std::fmt::Display>(all: &[T]) -> Value {
    Value::Array(all.iter().map(|x| json!(x.to_string())).collect())
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn obj(required: &[&str], props: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": props })
}

const TIME: &str = "date-time";

fn t() -> Value {
    json!({ "type": "string", "format": TIME })
}
fn opt_t() -> Value {
    json!({ "type": ["string", "null"], "format": TIME })
}
fn s() -> Value {
    json!({ "type": "string" })
}
fn n() -> Value {
    json!({ "type": "number" })
}
fn i() -> Value {
    json!({ "type": "integer" })
}
fn b() -> Value {
    json!({ "type": "boolean" })
}
fn nullable(v: Value) -> Value {
    json!({ "anyOf": [v, { "type": "null" }] })
}

/// A 95 % interval as `[low, high]`.
fn interval() -> Value {
    json!({ "type": "array", "items": n(), "minItems": 2, "maxItems": 2 })
}

fn blue_pass() -> Value {
    obj(
        &[
            "id",
            "deployment",
            "inclusion",
            "started_at",
            "ends_by",
            "state",
        ],
        json!({
            "id": i(), "deployment": i(), "inclusion": i(), "camera": nullable(s()),
            "started_at": t(), "ends_by": t(), "ended_at": opt_t(),
            "state": { "type": "string", "enum": names(PassState::ALL) },
            "alert": { "type": ["integer", "null"], "description": "The alert that recognised the volunteer (while open: seen so far)" } }),
    )
}

fn schemas() -> Value {
    let decision = |values: Value| {
        nullable(obj(
            &["value", "by", "at", "note"],
            json!({ "value": { "type": "string", "enum": values }, "by": i(), "at": t(), "note": s() }),
        ))
    };
    let enum_of = |v: Value| json!({ "type": "string", "enum": v });
    json!({
        "Error": obj(&["error", "message"], json!({
            "error": enum_of(json!(["refused", "not_found", "invalid", "unauthenticated", "gone", "too_many_requests", "server_error"])),
            "rule": { "type": "string", "description": "The rule of crates/domain/src/policy.rs that refused" },
            "message": { "type": "string", "description": "What happened and what would make it allowed" } })),
        "SignIn": obj(&["token"], json!({ "token": { "type": "string", "description": "lfr_ followed by 64 hex digits" } })),
        "Me": obj(&["username", "display_name", "roles", "rank", "may"], json!({
            "username": s(), "display_name": s(),
            "roles": { "type": "array", "items": enum_of(names(Role::ALL)) },
            "rank": enum_of(names(Rank::ALL)),
            "may": { "type": "array", "items": enum_of(names(Action::ALL)) } })),
        "Application": obj(&["location", "use_case", "style", "assets", "starts_at", "ends_at", "legitimate_aim", "legal_basis", "necessity", "proportionality", "safeguards", "alternatives_considered", "watchlist_composition", "resources", "threshold_requested", "review_interval_minutes"], json!({
            "location": s(), "use_case": enum_of(names(UseCase::ALL)), "style": enum_of(names(DeploymentStyle::ALL)),
            "assets": i(), "starts_at": t(), "ends_at": t(), "legitimate_aim": s(), "legal_basis": s(),
            "necessity": s(), "proportionality": s(), "safeguards": s(), "alternatives_considered": s(),
            "watchlist_composition": s(), "resources": s(), "threshold_requested": n(),
            "threshold_reason": { "type": "string", "description": "required when threshold_requested is below the default 0.64" },
            "review_interval_minutes": i() })),
        "Deployment": obj(&["id", "application", "applied_by", "applied_at", "state"], json!({
            "id": i(), "application": r("Application"), "applied_by": i(), "applied_at": t(),
            "state": enum_of(names(DeploymentState::ALL)),
            "authority": nullable(obj(&["granted_by", "granted_at", "form", "rationale", "valid_from", "valid_until", "minimum_threshold"], json!({
                "granted_by": i(), "granted_at": t(),
                "form": obj(&["kind"], json!({ "kind": enum_of(json!(["written", "urgent_verbal"])), "confirm_by": t(), "confirmed_at": opt_t() })),
                "rationale": s(), "valid_from": t(), "valid_until": t(), "minimum_threshold": n(),
                "minimum_threshold_reason": s(), "cancelled_at": opt_t() }))),
            "started_at": opt_t(), "ended_at": opt_t(), "last_review_at": opt_t(), "record_submitted_at": opt_t() })),
        "AuthoriseBody": obj(&["rationale"], json!({
            "rationale": s(), "valid_from": t(), "valid_until": t(),
            "minimum_threshold": { "type": "number", "minimum": lfr_domain::policy::SYSTEM_FLOOR, "maximum": 1, "default": lfr_domain::policy::DEFAULT_MINIMUM_THRESHOLD },
            "minimum_threshold_reason": { "type": "string", "description": "required when minimum_threshold is below the default 0.64" },
            "verbal_confirm_by": t() })),
        "ReasonBody": obj(&["reason"], json!({ "reason": s() })),
        "TeamBody": obj(&[], json!({ "add": nullable(s()), "remove": nullable(s()) })),
        "AssignBody": obj(&["node"], json!({ "node": s() })),
        "Camera": obj(&["deployment", "name", "location", "node"], json!({ "deployment": i(), "name": s(), "location": s(), "node": s() })),
        "Member": obj(&["username", "display_name", "roles"], json!({ "username": s(), "display_name": s(), "roles": { "type": "array", "items": s() } })),
        "NoteBody": obj(&[], json!({ "note": s() })),
        "ImportArchive": { "type": "string", "contentMediaType": "application/gzip", "description": "A .tar or .tar.gz archive: manifest.json at its top level and the images it names; at most 256 MiB" },
        "ImportAnswer": obj(&["message", "valid", "imported", "algorithm", "problems", "inclusions"], json!({
            "error": { "type": "string", "description": "`invalid` when anything is wrong (status 422)" },
            "message": s(), "valid": b(), "imported": i(), "algorithm": s(),
            "problems": { "type": "array", "items": s() },
            "inclusions": { "type": "array", "items": obj(&["ref", "category", "under_18", "images"], json!({
                "ref": s(), "category": enum_of(names(Category::ALL)), "under_18": b(),
                "images": { "type": "array", "items": obj(&["file", "reasons"], json!({
                    "file": s(), "grade": nullable(enum_of(names(QualityGrade::ALL))),
                    "reasons": { "type": "array", "items": s() }, "problem": nullable(s()),
                    "thumbnail": { "type": ["string", "null"], "description": "A small JPEG of the image as a data: URL" } })) } })) } })),
        "ActiveBody": obj(&["active"], json!({ "active": b() })),
        "ReviewBody": obj(&["legality", "necessity", "proportionality", "performance", "engagements", "continue_deployment"], json!({
            "legality": s(), "necessity": s(), "proportionality": s(), "performance": s(), "engagements": s(), "continue_deployment": b() })),
        "Review": obj(&["at", "by", "legality", "necessity", "proportionality", "performance", "engagements", "continue_deployment"], json!({
            "at": t(), "by": i(), "legality": s(), "necessity": s(), "proportionality": s(), "performance": s(), "engagements": s(), "continue_deployment": b() })),
        "Outstanding": obj(&["deployment", "what", "due", "overdue"], json!({ "deployment": s(), "what": s(), "due": t(), "overdue": b() })),
        "Metrics": { "type": "object", "description": "The deployment's figures as crates/domain/src/metrics.rs defines them", "properties": {
            "faces_scanned": i(), "dropped_frames": i(), "alerts": i(), "pending": i(), "awaiting_engagement": i(),
            "true_alerts_confirmed": i(), "true_alerts_unconfirmed": i(), "false_alerts_confirmed": i(), "false_alerts_unconfirmed": i(),
            "system_false_alert_rate": nullable(n()), "operational_false_alert_rate": nullable(n()), "true_recognition_rate": nullable(n()),
            "true_recognition_rate_ci": nullable(interval()), "blue_passes": i(), "blue_passes_recognised": i(),
            "repeats": { "type": "integer", "description": "Alerts adjudicated as repeats of an earlier one, each also counted under that alert's class" },
            "interrupted_sessions": { "type": "integer", "description": "Of an ended deployment, recognition sessions that stopped without writing their last counts (a crash or kill): each may miss up to 5 s of faces scanned and dropped frames" } } },
        "CameraFigures": obj(&["camera", "state", "faces_scanned", "dropped_frames", "alerts", "false_alerts"], json!({
            "camera": s(), "location": nullable(s()), "state": s(), "faces_scanned": i(), "dropped_frames": i(),
            "alerts": i(), "false_alerts": i(), "false_alert_rate": nullable(n()),
            "recognition_ms_p50": nullable(i()), "recognition_ms_p95": nullable(i()), "detail": nullable(s()),
            "alarm": nullable(json!({ "type": "string", "description": "Why someone must look at the camera now: failed (needs a person), stalled or reconnecting, connecting for 30 s with no picture yet, or no picture for 30 s" })) })),
        "Figures": obj(&["deployment", "totals", "cameras"], json!({
            "deployment": r("Deployment"),
            "totals": { "allOf": [r("Metrics")], "description": "The stored figures plus the faces and dropped frames the cameras counted since they last wrote their counts (once a minute)" },
            "cameras": { "type": "array", "items": r("CameraFigures") },
            "blue_passes_open": { "type": ["integer", "null"], "description": "Blue Watchlist passes under way; null for roles that may not read passes" } })),
        "BluePass": blue_pass(),
        "BluePassView": { "allOf": [r("BluePass"), obj(&[], json!({ "reference": nullable(s()) }))] },
        "StartBluePassBody": obj(&["inclusion"], json!({
            "inclusion": { "type": ["integer", "string"], "description": "The volunteer's inclusion on the deployment's Blue Watchlist (5 or I5)" },
            "camera": nullable(json!({ "type": "string", "description": "The camera the volunteer walks past; absent: any camera" })),
            "window_seconds": { "type": "integer", "minimum": blue::MIN_PASS_WINDOW.as_secs(), "maximum": blue::MAX_PASS_WINDOW.as_secs(), "default": blue::DEFAULT_PASS_WINDOW.as_secs() } })),
        "CancelBluePassBody": obj(&[], json!({ "reason": s() })),
        "Subject": obj(&["reference", "category", "watchlist", "watchlist_kind", "under_18"], json!({
            "reference": s(), "category": enum_of(names(Category::ALL)), "watchlist": i(),
            "watchlist_kind": enum_of(names(WatchlistKind::ALL)), "under_18": b() })),
        "AlertView": obj(&["id", "deployment", "inclusion", "candidate_image", "camera", "at", "score", "threshold", "recognition_ms", "class", "candidate"], json!({
            "id": i(), "deployment": i(), "inclusion": i(), "candidate_image": i(), "camera": s(), "at": t(),
            "score": { "type": "number", "minimum": 0, "maximum": 1 }, "threshold": n(), "recognition_ms": i(),
            "adjudication": decision(names(Adjudication::ALL)),
            "engagement": decision(names(EngagementOutcome::ALL)),
            "policing_outcome": decision(names(PolicingOutcome::ALL)),
            "repeat_of": nullable(i()),
            "purged_at": opt_t(),
            "source": nullable(obj(&["session", "algorithm"], json!({ "session": i(), "algorithm": s() }))),
            "class": enum_of(names(lfr_domain::alert::AlertClass::ALL)),
            "subject": nullable(r("Subject")),
            "probe": nullable(json!({ "type": "string", "description": "URL of the probe crop" })),
            "candidate": { "type": "string", "description": "URL of the candidate reference image" } })),
        "AdjudicationBody": obj(&["decision"], json!({ "decision": enum_of(names(Adjudication::ALL)), "repeat_of": s(), "note": s() })),
        "EngagementBody": obj(&["outcome"], json!({ "outcome": enum_of(names(EngagementOutcome::ALL)), "note": s() })),
        "OutcomeBody": obj(&["outcome"], json!({ "outcome": enum_of(names(PolicingOutcome::ALL)), "note": s() })),
        "Watchlist": obj(&["id", "deployment", "kind", "name", "revision", "created_at"], json!({
            "id": i(), "deployment": i(), "kind": enum_of(names(WatchlistKind::ALL)), "name": s(), "revision": i(),
            "approval": nullable(obj(&["by", "at", "revision", "note"], json!({ "by": i(), "at": t(), "revision": i(), "note": s() }))),
            "created_at": t(), "purged_at": opt_t() })),
        "WatchlistSummary": { "allOf": [r("Watchlist"), obj(&["size", "approved_as_is"], json!({ "size": i(), "approved_as_is": b() }))] },
        "CreateWatchlistBody": obj(&["kind", "name"], json!({ "kind": enum_of(names(WatchlistKind::ALL)), "name": s() })),
        "InclusionView": obj(&["inclusion", "reference", "images", "grades"], json!({
            "inclusion": obj(&["id", "watchlist", "category", "justification", "source", "under_18"], json!({
                "id": i(), "watchlist": i(), "category": enum_of(names(Category::ALL)),
                "justification": { "type": "string", "description": "Empty unless the viewer may see personal details" },
                "source": s(), "under_18": b() })),
            "reference": s(), "name": nullable(s()), "images": i(), "grades": { "type": "array", "items": s() } })),
        "AuditEntry": obj(&["seq", "at", "actor", "action", "target", "outcome", "detail", "prev_hash", "hash"], json!({
            "seq": i(), "at": t(), "actor": s(), "action": s(), "target": s(),
            "outcome": enum_of(json!(["allowed", "refused"])), "detail": s(), "prev_hash": s(), "hash": s() })),
        "Verification": obj(&["entries", "head", "checkpoint", "unkeyed"], json!({
            "entries": i(), "head": s(), "unkeyed": i(),
            "checkpoint": obj(&["seq", "head", "mac"], json!({ "seq": i(), "head": s(), "mac": s() })),
            "first_tampered": nullable(obj(&["seq", "reason"], json!({ "seq": i(), "reason": s() }))) })),
        "NewUserBody": obj(&["username", "display_name", "roles", "rank"], json!({
            "username": s(), "display_name": s(), "roles": { "type": "array", "items": enum_of(names(Role::ALL)) }, "rank": enum_of(names(Rank::ALL)) })),
        "RoleChange": obj(&["id", "user", "username", "roles", "rank", "proposed_by", "proposed_at"], json!({
            "id": i(), "user": i(), "username": s(), "roles": { "type": "array", "items": enum_of(names(Role::ALL)) },
            "rank": enum_of(names(Rank::ALL)), "proposed_by": i(), "proposed_at": t() })),
        "Issued": obj(&["username", "token"], json!({ "username": s(), "token": { "type": "string", "description": "Shown once; keep it like a password" } })),
        "PurgeSummary": { "type": "object", "description": "What a retention run deleted (see docs/retention.md)" },
        "PublicReport": obj(&["deployment", "location", "use_case", "date", "assets", "style", "watchlist_inclusions", "faces_scanned", "alerts"], json!({
            "deployment": s(), "location": s(), "use_case": enum_of(names(UseCase::ALL)), "date": s(),
            "started_at": opt_t(), "ended_at": opt_t(), "duration_minutes": nullable(i()), "assets": i(),
            "style": enum_of(names(DeploymentStyle::ALL)), "watchlist_inclusions": i(), "minimum_threshold_authorised": nullable(n()),
            "faces_scanned": i(), "alerts": i(), "positive_alerts_confirmed": i(), "positive_alerts_unconfirmed": i(),
            "false_alerts_confirmed": i(), "false_alerts_unconfirmed": i(), "false_alert_rate": nullable(n()),
            "blue_passes": i(), "true_recognition_rate": nullable(n()), "true_recognition_rate_ci": nullable(interval()),
            "policing_outcomes": { "type": "object", "additionalProperties": i() },
            "repeats": { "type": "integer", "description": "Alerts of the same person seen again, each counted as the alert it repeats" },
            "interrupted_sessions": { "type": "integer", "description": "Recognition sessions that stopped without writing their last counts; faces scanned is then a lower bound" },
            "watchlist_categories": { "type": "object", "additionalProperties": i(), "description": "Inclusions by watchlist category (counts only)" },
            "force": nullable(r("ForceNotice")) })),
        "ForceNotice": obj(&["force", "legal_basis", "contact"], json!({
            "force": s(), "legal_basis": s(), "contact": s(), "policy": s() })),
        "UpcomingNotice": obj(&["deployment", "location", "use_case", "style", "starts_at", "ends_at", "running_now"], json!({
            "deployment": s(), "location": s(), "use_case": enum_of(names(UseCase::ALL)), "style": enum_of(names(DeploymentStyle::ALL)),
            "starts_at": t(), "ends_at": t(), "running_now": b() })),
    })
}

fn roles_text(a: Action) -> String {
    let r: Vec<&str> = a.allowed_roles().iter().map(|r| r.as_str()).collect();
    format!("Roles: {} (action `{a}`).", r.join(", "))
}

fn answer(op: &Operation) -> Value {
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": r("Error") } } });
    let ok = match op.answer {
        "none" => json!({ "description": "Done" }),
        "image" => {
            json!({ "description": "The image", "content": { "image/jpeg": { "schema": { "type": "string", "contentMediaType": "image/jpeg" } }, "image/png": { "schema": { "type": "string", "contentMediaType": "image/png" } } } })
        }
        "events" => {
            json!({ "description": "An endless text/event-stream; event names: hello, alert.raised, alert.updated, alert.seen_again, deployment.changed, camera.figures, blue_pass.changed, resync", "content": { "text/event-stream": { "schema": { "type": "string" } } } })
        }
        "text" => {
            json!({ "description": "The document", "content": { "text/plain": { "schema": { "type": "string" } } } })
        }
        name => {
            let schema = if op.list {
                json!({ "type": "array", "items": r(name) })
            } else {
                r(name)
            };
            json!({ "description": "OK", "content": { "application/json": { "schema": schema } } })
        }
    };
    let code = if op.answer == "none" { "204" } else { "200" };
    let mut m = Map::new();
    m.insert(code.into(), ok);
    if !op.public {
        m.insert(
            "401".into(),
            err("Not signed in, or the token is unknown or revoked"),
        );
        m.insert(
            "403".into(),
            err("Refused by a rule; `rule` names it and `message` says what would allow it"),
        );
        m.insert(
            "429".into(),
            err("Too many failed sign-ins from this address; `Retry-After` says when to try again"),
        );
    }
    if op.body.is_some() || op.path.contains('{') {
        m.insert(
            "400".into(),
            err("The request is malformed (bad id, body or value)"),
        );
        m.insert(
            "404".into(),
            err("No such deployment, watchlist, alert, image or pass"),
        );
    }
    Value::Object(m)
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for op in OPERATIONS {
        let params: Vec<Value> = op
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|p| json!({ "name": p, "in": "path", "required": true, "schema": { "type": "string" },
                "description": "An id, as a number (7) or with its prefix (D7, W7, I7, A7, IMG7, BP7); a username for {u}" }))
            .collect();
        let mut o = json!({
            "operationId": op.id,
            "summary": op.summary,
            "description": match op.action { Some(a) => roles_text(a), None if op.public => "Public: no sign-in.".into(), None => "Any signed-in user.".into() },
            "responses": answer(op),
        });
        if !params.is_empty() {
            o["parameters"] = Value::Array(params);
        }
        match op.body {
            Some(body @ "ImportArchive") => {
                o["requestBody"] = json!({ "required": true, "content": {
                    "application/gzip": { "schema": r(body) }, "application/x-tar": { "schema": r(body) } } });
                o["parameters"].as_array_mut().expect("{w}").push(json!({
                    "name": "check", "in": "query", "required": false, "schema": { "type": "boolean" },
                    "description": "Check every image and store nothing" }));
                o["responses"]["422"] = json!({ "description": "Something is wrong; nothing was stored. `problems` lists all of it",
                    "content": { "application/json": { "schema": r("ImportAnswer") } } });
            }
            Some(body) => {
                o["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": r(body) } } });
            }
            None => {}
        }
        if op.public {
            o["security"] = json!([]);
        }
        if let Some(a) = op.action {
            o["x-lfr-action"] = json!(a.as_str());
        }
        let entry = paths
            .entry(op.path.to_string())
            .or_insert_with(|| json!({}));
        entry[op.method] = o;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "lfr API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Every action of the lfr console. Each call is checked against the role table of crates/domain/src/policy.rs and audited by the store, exactly as in the console and the CLI.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" }
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }, { "session": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "A user token from `lfr user add` or `lfr user token`" },
                "session": { "type": "apiKey", "in": "cookie", "name": crate::auth::COOKIE, "description": "Set by POST /api/session; writes must be JSON from this server's own pages" }
            },
            "schemas": schemas()
        }
    })
}

pub async fn serve() -> Json<Value> {
    Json(document())
}
