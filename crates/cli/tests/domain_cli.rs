//! The domain commands end to end, as a person or a script would run them:
//! the real binary, a real SQLite database, real keys.

mod common;

use common::{APPLY, Env, Staff, shared};

const NAME: &str = "Zebedee Quuxworth";
const IMAGE: &[u8] = b"REFERENCE-IMAGE-BYTES-OF-ZEBEDEE";
const PROBE: &[u8] = b"PROBE-CROP-BYTES-OF-A-PASSER-BY";

fn tok(v: &serde_json::Value) -> String {
    v["token"].as_str().unwrap().to_string()
}

type Pending<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = lfr_store::Result<T>> + 'a>>;

/// Does what the recognition pipeline does in its own process: opens a
/// session of deployment `d` as the user of `token` and writes through it.
fn pipeline<T>(
    e: &Env,
    token: &str,
    d: &str,
    write: impl for<'a> FnOnce(
        &'a lfr_store::Store,
        &'a lfr_store::sessions::RecognitionSession,
    ) -> Pending<'a, T>,
) -> Result<T, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}", e.path("lfr.db").display());
        let clock = std::sync::Arc::new(lfr_base::RealClock);
        let store = lfr_store::Store::open(&url, &e.path("keys"), false, clock)
            .await
            .unwrap();
        let user = store.authenticate(token).await.unwrap();
        let d = lfr_domain::ids::DeploymentId(d.trim_start_matches('D').parse().unwrap());
        // The pipeline recognises with the algorithm and calibration the deployment records.
        let recorded = store.deployment(&user, d).await.unwrap().recognition;
        let calibration = recorded
            .calibration
            .expect("new deployments pin their calibration");
        let session = store
            .open_recognition_session(&user, d, &recorded.algorithm, &calibration)
            .await
            .unwrap();
        write(&store, &session).await.map_err(|e| e.to_string())
    })
}

fn new_alert(score: f64, threshold: f64) -> lfr_store::alerts::NewAlert {
    lfr_store::alerts::NewAlert {
        candidate_image: lfr_domain::ids::ImageId(1),
        camera: "c1".into(),
        score,
        threshold,
        recognition_ms: 210,
        probe: PROBE.to_vec(),
    }
}

#[test]
fn a_deployment_from_application_to_public_report() {
    let e = Env::new();
    // Nothing works before bootstrap, and the error says what to do.
    let o = e.run(Some("x"), &["deployment", "list"]);
    assert!(
        !o.ok && o.stderr.contains("lfr user bootstrap"),
        "{}",
        o.stderr
    );
    let admin = tok(&e.json(
        None,
        &[
            "user",
            "bootstrap",
            "--username",
            "admin",
            "--name",
            "Sys Admin",
        ],
    ));
    assert!(
        !e.run(
            None,
            &[
                "user",
                "bootstrap",
                "--username",
                "again",
                "--name",
                "Again"
            ]
        )
        .ok
    );
    let o = e.run(None, &["deployment", "list"]);
    assert!(!o.ok && o.stderr.contains("LFR_TOKEN"), "{}", o.stderr);

    let silver = e.add_user(&admin, "silver", "silver_commander", "chief_inspector");
    let ao = e.add_ao(&admin, "supt", "superintendent");
    let operator = e.add_user(&admin, "pc1", "operator", "constable");
    let engager = e.add_user(&admin, "pc2", "engagement_officer", "constable");
    let auditor = e.add_user(&admin, "audit", "auditor", "staff");
    let engineer = e.add_user(&admin, "eng", "system_engineer", "staff");
    assert!(
        e.ok(Some(&admin), &["user", "list"])
            .contains("authorising_officer")
    );

    let d = e.json(
        Some(&silver),
        &[
            "deployment",
            "apply",
            "--location",
            "Queen Street, Cardiff",
            "--use-case",
            "event",
            "--assets",
            "2",
            "--starts",
            "now",
            "--ends",
            "+8h",
            "--legitimate-aim",
            "Prevent crime at the match",
            "--legal-basis",
            "Common law; DPA 2018 Part 3",
            "--necessity",
            "Intelligence of wanted offenders",
            "--proportionality",
            "Bounded; small watchlist",
            "--safeguards",
            "Signage; human review",
            "--alternatives",
            "Spotters alone",
            "--watchlist-composition",
            "Wanted by courts",
            "--resources",
            "One van",
        ],
    );
    let id = format!("D{}", d["id"]);
    // Who works on it (the applicant, the Silver Commander, already does).
    let team = e.json(
        Some(&silver),
        &[
            "deployment",
            "team",
            &id,
            "--add",
            "pc1",
            "--add",
            "pc2",
            "--add",
            "eng",
        ],
    );
    assert_eq!(team.as_array().unwrap().len(), 4, "{team}");
    // One JSON shape for a deployment: `show` is `apply`'s object plus what
    // only `show` adds (reviews, documents, what is owed).
    let shown = e.json(Some(&silver), &["deployment", "show", &id]);
    for (k, v) in d.as_object().unwrap() {
        assert_eq!(&shown[k], v, "`{k}` differs between apply and show");
    }
    assert!(
        shown["reviews"].is_array() && shown["outstanding"].is_array(),
        "{shown}"
    );
    let dpia = e.path("dpia.pdf");
    std::fs::write(&dpia, b"%PDF-1.4 dpia").unwrap();
    e.ok(
        Some(&silver),
        &[
            "deployment",
            "attach",
            &id,
            "--kind",
            "dpia",
            dpia.to_str().unwrap(),
        ],
    );
    // The operator may not authorise; the refusal names the role needed.
    let o = e.run(
        Some(&operator),
        &["deployment", "authorise", &id, "--rationale", "x"],
    );
    assert!(
        !o.ok && o.stderr.contains("authorising_officer"),
        "{}",
        o.stderr
    );
    let o = e.run(
        Some(&ao),
        &[
            "deployment",
            "authorise",
            &id,
            "--rationale",
            "Necessary",
            "--until",
            "+8d",
        ],
    );
    assert!(!o.ok && o.stderr.contains("7 days"), "{}", o.stderr);
    e.ok(
        Some(&ao),
        &[
            "deployment",
            "authorise",
            &id,
            "--rationale",
            "Necessary and proportionate",
            "--from",
            "now",
            "--until",
            "+12h",
        ],
    );
    let w = e.json(
        Some(&silver),
        &["watchlist", "create", &id, "--name", "match day"],
    );
    let wid = format!("W{}", w["id"]);
    let o = e.run(Some(&silver), &["deployment", "start", &id]);
    assert!(!o.ok && o.stderr.contains("watchlist"), "{}", o.stderr);

    // Import validation without the engine.
    let imp = e.path("import");
    std::fs::create_dir(&imp).unwrap();
    std::fs::write(imp.join("manifest.json"), format!(r#"{{"entries":[{{"ref":"S1","name":"{NAME}","category":"wanted_by_courts",
        "justification":"Warrant for failing to appear","source":"PNC WA/1","under_18":false,"images":["s1.jpg"]}}]}}"#)).unwrap();
    let o = e.run(
        Some(&silver),
        &[
            "watchlist",
            "import",
            &wid,
            imp.to_str().unwrap(),
            "--check",
        ],
    );
    assert!(
        !o.ok && o.stderr.contains("s1.jpg") && o.stderr.contains("not found"),
        "{}",
        o.stderr
    );
    // --check checks the images too: one that is not a usable photograph fails it.
    std::fs::write(imp.join("s1.jpg"), IMAGE).unwrap();
    let check = [
        "watchlist",
        "import",
        &wid,
        imp.to_str().unwrap(),
        "--check",
    ];
    let o = e.run(Some(&silver), &check);
    assert!(
        !o.ok
            && o.stderr.contains("ref S1 image s1.jpg")
            && o.stderr.contains("in its manifest or its images"),
        "{}",
        o.stderr
    );

    // Enrolment runs the engine: an image that is not a photograph is
    // refused and nothing is imported; a real photograph is enrolled.
    let import: &[&str] = &["watchlist", "import", &wid, imp.to_str().unwrap()];
    let refused = |why: &str| {
        let o = e.run(Some(&silver), import);
        assert!(
            !o.ok && o.stderr.contains("s1.jpg") && o.stderr.contains(why),
            "{}",
            o.stderr
        );
    };
    refused("nothing was imported");
    assert_eq!(
        e.json(Some(&silver), &["watchlist", "show", &wid])
            .as_array()
            .unwrap()
            .len(),
        0,
        "a refused import leaves nothing behind"
    );
    // A photograph cut off in transfer is refused as such, not enrolled from
    // the part that arrived.
    let photo = std::fs::read(shared("data/dlib-reference/images/obama.jpg")).unwrap();
    std::fs::write(imp.join("s1.jpg"), &photo[..photo.len() * 3 / 4]).unwrap();
    refused("incomplete");
    std::fs::write(imp.join("s1.jpg"), &photo).unwrap();
    let checked = e.ok(Some(&silver), &check);
    assert!(
        checked.contains("ref S1 image s1.jpg: ")
            && checked.contains("ready to import, 1 inclusions, 1 images"),
        "{checked}"
    );
    assert_eq!(
        e.json(Some(&silver), &["watchlist", "show", &wid])
            .as_array()
            .unwrap()
            .len(),
        0,
        "--check stores nothing"
    );
    let out = e.ok(Some(&silver), import);
    assert!(out.contains("imported 1 inclusions"), "{out}");
    let re = e.json(Some(&silver), &["watchlist", "reenrol", &wid]);
    assert_eq!(re["reenrolled"], 1, "{re}");
    // Templates carry the algorithm of the default model the deployment got.
    assert_eq!(
        re["algorithm"], "yunet-n-dynamic/combined-sface-dlib-v1/sface+dlib-resnet-v1-aa939b35",
        "{re}"
    );
    e.ok(
        Some(&ao),
        &[
            "watchlist",
            "approve",
            &wid,
            "--note",
            "each inclusion reviewed",
        ],
    );
    assert!(
        e.ok(Some(&silver), &["watchlist", "show", &wid])
            .contains(NAME),
        "commanders see names"
    );
    assert!(
        !e.ok(Some(&operator), &["watchlist", "show", &wid])
            .contains(NAME),
        "operators do not"
    );
    e.ok(Some(&silver), &["deployment", "start", &id]);

    let img = e.json(Some(&operator), &["watchlist", "show", &wid]); // ids only
    assert_eq!(img.as_array().unwrap().len(), 1);
    // No command raises an alert or adds to the counts: both come only from
    // the recognition pipeline, which writes them through its session.
    for forged in [
        &["alert", "raise", &id, "--image", "IMG1", "--score", "0.99"][..],
        &["alert", "counts", &id, "--camera", "c1", "--faces", "15000"][..],
    ] {
        let o = e.run(Some(&operator), forged);
        assert!(
            !o.ok && o.stderr.contains("unrecognized subcommand"),
            "lfr {forged:?} must not exist: {}",
            o.stderr
        );
    }
    let refused = pipeline(&e, &operator, &id, |store, session| {
        Box::pin(store.raise_alert(session, new_alert(0.7, 0.6)))
    })
    .unwrap_err();
    assert!(
        refused.contains("threshold_not_below_authorised_minimum"),
        "{refused}"
    );
    let a = pipeline(&e, &operator, &id, |store, session| {
        Box::pin(store.raise_alert(session, new_alert(0.71, 0.64)))
    })
    .unwrap();
    let aid = format!("A{}", a.id);
    e.ok(
        Some(&operator),
        &[
            "alert",
            "adjudicate",
            &aid,
            "passed_for_engagement",
            "--note",
            &format!("looks like {NAME}"),
        ],
    );
    e.ok(Some(&engager), &["alert", "engage", &aid, "confirmed-true"]);
    e.ok(Some(&engager), &["alert", "outcome", &aid, "arrest"]);
    pipeline(&e, &engineer, &id, |store, session| {
        Box::pin(store.record_counts(session, "c1", 15000, 3, None))
    })
    .unwrap();
    let listed = e.ok(Some(&operator), &["alert", "list", &id]);
    assert!(
        listed.contains("true_confirmed") && listed.contains("S1 (wanted_by_courts)"),
        "{listed}"
    );
    // Alerts say who they are about by reference and category, never by name.
    let shown = e.json(Some(&operator), &["alert", "show", &aid]);
    assert_eq!(
        (
            shown["subject"]["reference"].as_str(),
            shown["subject"]["category"].as_str()
        ),
        (Some("S1"), Some("wanted_by_courts")),
        "{shown}"
    );
    assert!(!shown["subject"].to_string().contains(NAME), "{shown}");
    // Blue Watchlist passes: only volunteers walk them, and nothing is typed in as a result.
    let o = e.run(
        Some(&operator),
        &["blue-pass", "start", &id, "--inclusion", "I1"],
    );
    assert!(
        !o.ok && o.stderr.contains("blue_pass_is_a_volunteer"),
        "{}",
        o.stderr
    );
    assert_eq!(
        e.json(Some(&silver), &["blue-pass", "list", &id])
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let o = e.run(Some(&operator), &["alert", "blue-pass", &id]);
    assert!(!o.ok, "no command records a pass's result by hand");
    // Footage is registered for retention by path; a file that is not there is refused.
    let clip = e.path("c1-0001.mp4");
    std::fs::write(&clip, b"recorded footage").unwrap();
    // Recorded in the last few minutes, as a recorder registers its segments.
    let now = lfr_base::Timestamp::now();
    let from = now
        .checked_sub(lfr_base::SignedDuration::from_mins(10))
        .unwrap()
        .to_string();
    let to = now
        .checked_sub(lfr_base::SignedDuration::from_mins(5))
        .unwrap()
        .to_string();
    let window = ["--from", from.as_str(), "--to", to.as_str()];
    let mut args = vec!["retention", "register-footage", &id, "--camera", "c1"];
    args.extend(window);
    let missing = e.path("nothing.mp4");
    let o = e.run(
        Some(&engineer),
        &[&args[..], &[missing.to_str().unwrap()]].concat(),
    );
    assert!(
        !o.ok && o.stderr.contains("cannot find the recording"),
        "{}",
        o.stderr
    );
    e.ok(
        Some(&engineer),
        &[&args[..], &[clip.to_str().unwrap()]].concat(),
    );
    let listed = e.ok(Some(&operator), &["retention", "footage", &id]);
    assert!(listed.contains("c1-0001.mp4"), "{listed}");
    let o = e.run(
        Some(&operator),
        &["deployment", "suspend", &id, "--reason", "x"],
    );
    assert!(
        !o.ok && o.stderr.contains("silver_commander"),
        "{}",
        o.stderr
    );
    e.ok(Some(&silver), &["deployment", "conclude", &id]);
    assert!(
        e.ok(Some(&silver), &["deployment", "outstanding"])
            .contains("deployment record")
    );

    let public = e.ok(Some(&silver), &["report", &id, "--public", "--json"]);
    for bad in [
        NAME,
        "Zebedee",
        "Quuxworth",
        "PNC",
        "REFERENCE-IMAGE",
        "PROBE-CROP",
        "s1.jpg",
        "S1\"",
    ] {
        assert!(!public.contains(bad), "public report leaks {bad}: {public}");
    }
    let v: serde_json::Value = serde_json::from_str(&public).unwrap();
    assert_eq!(v["alerts"], 1);
    assert_eq!(v["positive_alerts_confirmed"], 1);
    assert_eq!(v["watchlist_inclusions"], 1);
    assert_eq!(v["faces_scanned"], 15000);
    assert_eq!(v["policing_outcomes"]["arrest"], 1);
    let full = e.ok(Some(&auditor), &["report", &id]);
    assert!(full.contains("p50 210 ms"), "{full}");

    let verify = e.ok(Some(&auditor), &["audit", "verify"]);
    assert!(verify.contains("audit log intact"), "{verify}");
    let refused = e.ok(Some(&auditor), &["audit", "log", "--refused"]);
    assert!(
        refused.contains("deployment.suspend") && refused.contains("pc1"),
        "{refused}"
    );
    let o = e.run(Some(&operator), &["audit", "verify"]);
    assert!(!o.ok && o.stderr.contains("auditor"), "{}", o.stderr);
}

#[test]
fn a_threshold_below_the_default_is_refused_without_a_recorded_reason() {
    let e = Env::new();
    let Staff { silver, ao, .. } = e.staff();
    let mut apply = APPLY.to_vec();
    apply.extend(["--threshold", "0.55"]);
    e.fails(Some(&silver), &apply, "--threshold-reason");
    apply.extend([
        "--threshold-reason",
        "Blue Watchlist TRR 31 % at 0.64 on site",
    ]);
    let d = format!("D{}", e.json(Some(&silver), &apply)["id"]);
    let authorise = [
        "deployment",
        "authorise",
        &d,
        "--rationale",
        "r",
        "--minimum-threshold",
        "0.55",
    ];
    e.fails(Some(&ao), &authorise, "--minimum-threshold-reason");
    let mut with_reason = authorise.to_vec();
    with_reason.extend([
        "--minimum-threshold-reason",
        "accepted: the site's measured rate",
    ]);
    e.ok(Some(&ao), &with_reason);
    let shown = e.ok(Some(&silver), &["deployment", "show", &d]);
    assert!(
        shown.contains("below the default: Blue Watchlist TRR 31 % at 0.64 on site")
            && shown.contains("below the default: accepted: the site's measured rate"),
        "{shown}"
    );
}

#[test]
fn the_ao_withdraws_authority_from_a_running_deployment() {
    let e = Env::new();
    let r = e.running_deployment();
    let d = r.deployment.as_str();
    e.fails(Some(&r.staff.ao), &["deployment", "cancel", d], "withdraw");
    e.fails(
        Some(&r.staff.silver),
        &["deployment", "withdraw", d, "--reason", "x"],
        "authorising_officer",
    );
    let out = e.ok(
        Some(&r.staff.ao),
        &[
            "deployment",
            "withdraw",
            d,
            "--reason",
            "the intelligence case has lapsed",
        ],
    );
    assert!(
        out.contains("terminated") && out.contains("next: the deployment record"),
        "{out}"
    );
    let shown = e.json(Some(&r.staff.silver), &["deployment", "show", d]);
    assert_eq!(shown["state"], "terminated", "{shown}");
    assert!(shown["authority"]["cancelled_at"].is_string(), "{shown}");
    e.fails(
        Some(&r.staff.silver),
        &["deployment", "start", d],
        "terminated",
    );
    let audit = e.ok(Some(&r.staff.admin), &["audit", "log"]);
    assert!(
        audit.contains("authority withdrawn: the intelligence case has lapsed"),
        "{audit}"
    );
}

/// With no --keys, the keys go under the configuration folder, not beside
/// the database: a copy of the data folder does not carry what opens it.
#[test]
fn keys_are_kept_away_from_the_data_folder_by_default() {
    let home = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_lfr"))
        .args([
            "user",
            "bootstrap",
            "--username",
            "admin",
            "--name",
            "Admin",
        ])
        .env("HOME", home.path())
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("LFR_DB")
        .env_remove("LFR_KEYS")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let data = home.path().join(".local/share/lfr");
    assert!(data.join("lfr.db").exists());
    assert!(home.path().join(".config/lfr/keys/master.key").exists());
    assert!(!data.join("keys").exists(), "no keys in the data folder");
}

/// `lfr camera`: the engineer places a deployment's cameras on nodes and
/// moves them; nobody else may; everyone who sees the deployment sees where
/// each runs, and never a camera's address.
#[test]
fn the_engineer_places_cameras_on_nodes() {
    let e = Env::new();
    let r = e.running_deployment();
    let d = &r.deployment;
    let file = e.path("cameras.json");
    std::fs::write(
        &file,
        r#"[{"name":"north","location":"Queen Street north","source":{"kind":"rtsp","url":"rtsp://cam:Pa55-w0rd-9@10.0.0.7/stream"}},
            {"name":"south","location":"Queen Street south","source":{"kind":"rtsp","url":"rtsp://10.0.0.8/stream"}}]"#,
    )
    .unwrap();
    let f = file.to_str().unwrap();
    e.fails(
        Some(&r.staff.silver),
        &["camera", "add", d, f, "--node", "van-1"],
        "role_permits",
    );
    let added = e.json(
        Some(&r.staff.engineer),
        &["camera", "add", d, f, "--node", "van-1"],
    );
    assert_eq!(added.as_array().unwrap().len(), 2, "{added}");
    e.ok(
        Some(&r.staff.engineer),
        &["camera", "assign", d, "south", "--node", "site-2"],
    );
    let listed = e.ok(Some(&r.staff.silver), &["camera", "list", d]);
    assert!(
        listed.contains("north") && listed.contains("van-1"),
        "{listed}"
    );
    assert!(
        listed.contains("south") && listed.contains("site-2"),
        "{listed}"
    );
    assert!(!listed.contains("Pa55-w0rd-9"), "{listed}");
    e.fails(
        Some(&r.staff.engineer),
        &["camera", "assign", d, "west", "--node", "site-2"],
        "no camera named west",
    );
    e.ok(Some(&r.staff.engineer), &["camera", "remove", d, "north"]);
    let listed = e.json(Some(&r.staff.silver), &["camera", "list", d]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
}
