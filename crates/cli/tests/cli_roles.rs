//! Every `lfr` command, run as every role: a command is refused under
//! `role_permits` exactly for the roles the role table (`lfr rules`) does
//! not give its action. The commands are found by walking `lfr help`, so a
//! new command that is missing from the table below fails this test.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;

/// Every role, with the user who holds it here.
const ROLES: &[(&str, &str, &str)] = &[
    ("administrator", "admin", ""),
    ("silver_commander", "silver", ""),
    ("gold_commander", "gold", "assistant_chief_constable"),
    ("authorising_officer", "supt", ""),
    ("operator", "op", "constable"),
    ("engagement_officer", "eng_off", "constable"),
    ("system_engineer", "eng", ""),
    ("auditor", "aud", "staff"),
];

/// A command of the store, the action of the role table it takes, and its
/// arguments (`{D}` the deployment, `{W}` its watchlist, `{F}` a file, `{DIR}`
/// the watchlist import folder).
const STORE_COMMANDS: &[(&str, &str, &[&str])] = &[
    ("deployment apply", "apply_for_deployment", &[]), // APPLY's arguments
    (
        "deployment attach",
        "apply_for_deployment",
        &["{D}", "{F}", "--kind", "dpia"],
    ),
    (
        "deployment authorise",
        "authorise",
        &["{D}", "--rationale", "r"],
    ),
    ("deployment confirm", "confirm_verbal_authority", &["{D}"]),
    ("deployment start", "start_recognition", &["{D}"]),
    ("deployment suspend", "suspend", &["{D}", "--reason", "r"]),
    ("deployment resume", "resume", &["{D}"]),
    (
        "deployment review",
        "record_review",
        &[
            "{D}",
            "--legality",
            "ok",
            "--necessity",
            "ok",
            "--proportionality",
            "ok",
            "--performance",
            "ok",
            "--engagements",
            "none",
        ],
    ),
    (
        "deployment set-algorithm",
        "change_algorithm",
        &["{D}", "dlib-resnet-v1"],
    ),
    ("deployment list", "read_deployments", &[]),
    ("deployment team", "manage_team", &["{D}", "--add", "spare"]),
    ("deployment show", "read_deployments", &["{D}"]),
    (
        "watchlist create",
        "compile_watchlist",
        &["{D}", "--name", "more"],
    ),
    ("watchlist import", "compile_watchlist", &["{W}", "{DIR}"]),
    ("watchlist reenrol", "compile_watchlist", &["{W}"]),
    ("watchlist approve", "approve_watchlist", &["{W}"]),
    (
        "watchlist remove",
        "compile_watchlist",
        &["I999", "--reason", "r"],
    ),
    ("watchlist list", "read_deployments", &["{D}"]),
    ("watchlist show", "read_deployments", &["{W}"]),
    ("alert list", "view_alerts", &["{D}"]),
    ("alert show", "view_alerts", &["A999"]),
    (
        "alert adjudicate",
        "adjudicate",
        &["A999", "false_alert_no_engagement"],
    ),
    ("alert repeat", "adjudicate", &["A999", "--of", "A998"]),
    (
        "alert engage",
        "record_engagement",
        &["A999", "confirmed_true"],
    ),
    (
        "alert outcome",
        "record_engagement",
        &["A999", "no_further_action"],
    ),
    (
        "blue-pass start",
        "mark_blue_pass",
        &["{D}", "--inclusion", "I999"],
    ),
    ("blue-pass end", "mark_blue_pass", &["BP999"]),
    (
        "blue-pass cancel",
        "mark_blue_pass",
        &["BP999", "--reason", "r"],
    ),
    ("blue-pass list", "read_blue_passes", &["{D}"]),
    ("retention run", "run_retention", &[]),
    (
        "retention hold",
        "place_legal_hold",
        &["{D}", "--reason", "complaint", "--note", "case 1"],
    ),
    (
        "retention release",
        "place_legal_hold",
        &["H999", "--note", "closed"],
    ),
    ("retention holds", "read_deployments", &[]),
    ("retention schedule", "read_deployments", &[]),
    ("retention footage", "read_deployments", &["{D}"]),
    (
        "retention register-footage",
        "record_counts",
        &[
            "{D}",
            "{F}",
            "--camera",
            "north",
            "--from",
            "2026-11-22T10:00:00Z",
            "--to",
            "2026-11-22T11:00:00Z",
        ],
    ),
    (
        "camera add",
        "manage_cameras",
        &["{D}", "{CAMERAS}", "--node", "van-1"],
    ),
    (
        "camera assign",
        "manage_cameras",
        &["{D}", "north", "--node", "van-2"],
    ),
    ("camera remove", "manage_cameras", &["{D}", "west"]),
    ("camera list", "read_deployments", &["{D}"]),
    ("audit verify", "read_audit", &[]),
    ("audit log", "read_audit", &[]),
    ("report", "read_full_report", &["{D}"]),
    (
        "force set",
        "set_force_notice",
        &["--force", "F", "--legal-basis", "L", "--contact", "C"],
    ),
    (
        "keys to-token",
        "manage_keys",
        &[
            "--module",
            "/nonexistent/libpkcs11.so",
            "--token-label",
            "t",
        ],
    ),
    (
        "user add",
        "manage_users",
        &["--name", "N", "--role", "operator", "newbie-{ROLE}"],
    ),
    (
        "user train",
        "manage_users",
        &["--course", "c", "--completed", "2026-11-01", "spare"],
    ),
    (
        "user roles",
        "manage_users",
        &["--role", "operator", "spare"],
    ),
    ("user pending", "manage_users", &[]),
    ("user approve", "manage_users", &["C999"]),
    ("user token", "manage_users", &["spare"]),
    ("user deactivate", "manage_users", &["spare"]),
    ("user activate", "manage_users", &["spare"]),
    ("user list", "read_deployments", &[]),
    // Last: they end the deployment the others act on.
    (
        "deployment record",
        "submit_deployment_record",
        &["{D}", "--note", "n"],
    ),
    ("deployment cancel", "cancel_authority", &["{D}"]),
    (
        "deployment withdraw",
        "cancel_authority",
        &["{D}", "--reason", "r"],
    ),
    (
        "deployment terminate",
        "terminate",
        &["{D}", "--reason", "r"],
    ),
    ("deployment conclude", "conclude", &["{D}"]),
];

/// Commands that take no role: why each is outside the table.
const OTHER_COMMANDS: &[(&str, &str)] = &[
    ("detect", "runs the engine on files; no store"),
    ("compare", "runs the engine on files; no store"),
    ("quality", "runs the engine on files; no store"),
    ("calibrate", "measurement on a labelled face set; no store"),
    ("bench lfw", "measurement; no store"),
    ("bench video", "measurement; no store"),
    ("bench live", "makes its own scratch database and users"),
    ("eval walkthrough build", "makes videos; no store"),
    (
        "eval walkthrough run",
        "makes its own scratch database and users",
    ),
    ("eval walkthrough score", "scores a run's files; no store"),
    ("rules", "prints the catalogue; no store"),
    ("models install", "model files; no store"),
    ("models list", "model files; no store"),
    ("models verify", "model files; no store"),
    ("models add", "model files; no store"),
    ("models combine", "model files; no store"),
    ("models remove", "model files; no store"),
    ("models export-dlib", "model files; no store"),
    (
        "user bootstrap",
        "makes the first administrator of an empty database; refused once there is one",
    ),
    (
        "user recover",
        "needs the key directory, not a role (docs/users.md)",
    ),
    ("user whoami", "any signed-in user"),
    ("force show", "public by design: printed on the public page"),
    ("keys show", "says only where the master key is kept"),
    (
        "keys create-in-token",
        "sets up a new key directory before there is a user; refused where a master key exists",
    ),
    (
        "deployment outstanding",
        "any signed-in user: each sees what their roles owe",
    ),
    (
        "serve",
        "its pipeline's roles are tested in serve_counts.rs; the console's routes in the server's api tests",
    ),
];

/// Every leaf command, found by walking `lfr help`.
fn commands(e: &Env, path: &[&str]) -> Vec<String> {
    let mut args: Vec<&str> = path.to_vec();
    args.push("--help");
    let help = e.ok(None, &args);
    let subs: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    if subs.is_empty() {
        return vec![path.join(" ")];
    }
    subs.iter()
        .flat_map(|s| {
            let mut p = path.to_vec();
            p.push(s);
            commands(e, &p)
        })
        .collect()
}

#[test]
fn every_command_refuses_exactly_the_roles_the_table_refuses() {
    let e = Env::new();
    let r = e.running_deployment();
    let d = r.deployment.clone();

    // The table covers every command there is, and only those.
    let found: BTreeSet<String> = commands(&e, &[]).into_iter().collect();
    let listed: BTreeSet<String> = STORE_COMMANDS
        .iter()
        .map(|c| c.0.to_string())
        .chain(OTHER_COMMANDS.iter().map(|c| c.0.to_string()))
        .collect();
    assert_eq!(
        found.difference(&listed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "commands missing from this test's table"
    );
    assert_eq!(
        listed.difference(&found).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "commands in this test's table that lfr no longer has"
    );

    // The role table, as lfr states it.
    let rules = e.json(None, &["rules"]);
    let table: BTreeMap<String, BTreeSet<String>> = rules["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let roles = a["roles"].as_array().unwrap();
            (
                a["action"].as_str().unwrap().to_string(),
                roles
                    .iter()
                    .map(|r| r.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();

    // One user per role.
    let mut tokens: BTreeMap<&str, String> = BTreeMap::new();
    tokens.insert("administrator", r.staff.admin.clone());
    tokens.insert("silver_commander", r.staff.silver.clone());
    tokens.insert("authorising_officer", r.staff.ao.clone());
    tokens.insert("system_engineer", r.staff.engineer.clone());
    for (role, name, rank) in ROLES {
        if !rank.is_empty() {
            tokens.insert(role, e.add_user(&r.staff.admin, name, role, rank));
        }
    }
    e.add_user(&r.staff.admin, "spare", "operator", "constable");
    // Everyone on the team, so that only roles refuse here.
    e.ok(
        Some(&r.staff.silver),
        &[
            "deployment",
            "team",
            &d,
            "--add",
            "op",
            "--add",
            "eng_off",
            "--add",
            "spare",
        ],
    );
    let w = e.json(Some(&r.staff.silver), &["watchlist", "list", &d]);
    let w = format!("W{}", w[0]["watchlist"]["id"]);
    let file = e.path("assessment.txt");
    std::fs::write(&file, "a document").unwrap();
    let cameras = e.path("cameras.json");
    std::fs::write(
        &cameras,
        r#"[{"name":"north","location":"n","source":{"kind":"rtsp","url":"rtsp://10.0.0.7/s"}}]"#,
    )
    .unwrap();

    let mut wrong = Vec::new();
    for (cmd, action, args) in STORE_COMMANDS {
        let allowed = table
            .get(*action)
            .unwrap_or_else(|| panic!("{cmd}: no action {action} in the role table"));
        for (role, _, _) in ROLES {
            let mut argv: Vec<String> = cmd.split(' ').map(str::to_string).collect();
            if *cmd == "deployment apply" {
                argv = APPLY.iter().map(|s| s.to_string()).collect();
            }
            for a in *args {
                argv.push(
                    a.replace("{D}", &d)
                        .replace("{W}", &w)
                        .replace("{F}", file.to_str().unwrap())
                        .replace("{DIR}", e.path("import").to_str().unwrap())
                        .replace("{CAMERAS}", cameras.to_str().unwrap())
                        .replace("{ROLE}", role),
                );
            }
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            let out = e.run(Some(&tokens[role]), &argv);
            let refused = !out.ok && out.stderr.contains("role_permits");
            let should = !allowed.contains(*role);
            if refused != should {
                wrong.push(format!(
                    "lfr {cmd} as {role}: {} (action {action}); stderr: {}",
                    if refused {
                        "refused by role"
                    } else {
                        "not refused by role"
                    },
                    out.stderr.trim()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
