//! Watchlist import over HTTP, as the console sends it: `lfr serve` grades
//! and templates an uploaded archive with the deployment's model. A check
//! stores nothing; an import with one bad image stores nothing and names
//! the image; a clean import stores everything; a role that may not
//! compile watchlists is refused before anything is decoded.

mod common;

use common::*;
use serde_json::Value;

/// A .tar.gz of `manifest` and `images` (name in the archive, bytes).
fn archive(e: &Env, name: &str, manifest: &str, images: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let dir = e.path(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("manifest.json"), manifest).unwrap();
    let mut names = vec!["manifest.json".to_string()];
    for (n, bytes) in images {
        std::fs::write(dir.join(n), bytes).unwrap();
        names.push(n.to_string());
    }
    let out = e.path(&format!("{name}.tar.gz"));
    let status = std::process::Command::new("tar")
        .arg("czf")
        .arg(&out)
        .arg("-C")
        .arg(&dir)
        .args(&names)
        .status()
        .expect("tar runs");
    assert!(status.success());
    std::fs::read(out).unwrap()
}

const MANIFEST: &str = r#"{"entries":[
  {"ref":"S2","name":"Subject Two","category":"wanted_by_courts","justification":"Warrant for failing to appear at court","source":"PNC WA/2","under_18":false,"images":["s2.jpg"]},
  {"ref":"S3","name":"Subject Three","category":"wanted_by_courts","justification":"Warrant for failing to appear at court","source":"PNC WA/3","under_18":false,"images":["s3.jpg"%s]}]}"#;

#[tokio::test(flavor = "current_thread")]
async fn an_upload_is_checked_image_by_image_and_stored_whole_or_not_at_all() {
    let e = Env::new();
    let r = e.running_deployment();
    let w = e.json(
        Some(&r.staff.silver),
        &["watchlist", "create", &r.deployment, "--name", "added"],
    )["id"]
        .as_i64()
        .unwrap();
    let server = e.serve(&r.staff.engineer, &[]);
    let http = reqwest::Client::new();
    let post = |token: &str, check: bool, body: Vec<u8>| {
        let url = format!(
            "{}api/watchlists/W{w}/import{}",
            server.url,
            if check { "?check=true" } else { "" }
        );
        http.post(url)
            .bearer_auth(token)
            .header("content-type", "application/gzip")
            .body(body)
            .send()
    };
    let inclusions = async || -> Vec<Value> {
        http.get(format!("{}api/watchlists/W{w}/inclusions", server.url))
            .bearer_auth(&r.staff.silver)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    let image =
        |n: &str| std::fs::read(shared(&format!("data/dlib-reference/images/{n}"))).unwrap();
    let good = archive(
        &e,
        "good",
        &MANIFEST.replace("%s", ""),
        &[
            ("s2.jpg", image("obama.jpg")),
            ("s3.jpg", image("obama2.jpg")),
        ],
    );
    // A JPEG cut off in transfer: half of it.
    let cut = image("obama3.jpg");
    let bad = archive(
        &e,
        "bad",
        &MANIFEST.replace("%s", r#","s3-cut.jpg""#),
        &[
            ("s2.jpg", image("obama.jpg")),
            ("s3.jpg", image("obama2.jpg")),
            ("s3-cut.jpg", cut[..cut.len() / 2].to_vec()),
        ],
    );

    // A System Engineer does not compile watchlists: refused by role, first.
    let res = post(&r.staff.engineer, true, good.clone()).await.unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["rule"], "role_permits", "{body}");

    // A Silver Commander of another deployment's team: refused by the team
    // rule before the upload is read.
    let other = e.add_user(
        &r.staff.admin,
        "silver2",
        "silver_commander",
        "chief_inspector",
    );
    let res = post(&other, true, good.clone()).await.unwrap();
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["rule"], "on_the_deployment_team", "{body}");
    // Refusals leave the connection fit for the next request: the upload is
    // read away, not left half-sent on a connection the server then closes
    // under the client's next request (a broken pipe instead of an answer).
    for i in 0..30 {
        let res = post(&other, true, good.clone())
            .await
            .unwrap_or_else(|e| panic!("refusal {i} did not arrive: {e}"));
        assert_eq!(res.status(), 403);
    }

    // One bad image: every image answered, the bad one named, nothing stored.
    let res = post(&r.staff.silver, false, bad).await.unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["valid"], false, "{body}");
    assert_eq!(body["imported"], 0, "{body}");
    let problems = body["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{body}");
    assert!(
        problems[0]
            .as_str()
            .unwrap()
            .contains("ref S3 image s3-cut.jpg"),
        "{body}"
    );
    let s3 = &body["inclusions"][1]["images"];
    assert_eq!(s3[0]["problem"], Value::Null, "{body}");
    assert!(s3[1]["problem"].is_string(), "{body}");
    assert!(inclusions().await.is_empty(), "nothing stored");

    // A clean check: every image graded, with a thumbnail; still nothing stored.
    let res = post(&r.staff.silver, true, good.clone()).await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["valid"].as_bool(), body["imported"].as_u64()),
        (Some(true), Some(0)),
        "{body}"
    );
    assert_eq!(body["algorithm"], lfr_models::DEFAULT_MODEL, "{body}");
    for inc in body["inclusions"].as_array().unwrap() {
        for img in inc["images"].as_array().unwrap() {
            assert!(
                matches!(img["grade"].as_str(), Some("good" | "acceptable")),
                "{img}"
            );
            let thumb = img["thumbnail"].as_str().unwrap();
            assert!(thumb.starts_with("data:image/jpeg;base64,"), "{thumb}");
        }
    }
    assert!(inclusions().await.is_empty(), "a check stores nothing");

    // The import itself: both inclusions, and the watchlist awaits approval.
    let res = post(&r.staff.silver, false, good.clone()).await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["imported"], 2, "{body}");
    let refs: Vec<String> = inclusions()
        .await
        .iter()
        .map(|i| i["reference"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(refs, ["S2", "S3"]);

    // Imported once, the same references are a problem for the next check.
    let res = post(&r.staff.silver, true, good.clone()).await.unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["problems"][0]
            .as_str()
            .unwrap()
            .contains(&format!("ref S2 is already on W{w}")),
        "{body}"
    );

    // Not an archive: told so, nothing stored.
    let res = post(&r.staff.silver, false, b"not an archive".to_vec())
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["problems"][0].is_string(), "{body}");
    assert_eq!(inclusions().await.len(), 2);
}

/// A refused sign-in reaches a caller still sending an upload, request
/// after request on one connection (the failed sign-ins are soon
/// rate-limited: either answer will do, a broken connection will not).
#[tokio::test]
async fn an_upload_refused_at_sign_in_gets_its_answer() {
    let e = Env::new();
    let staff = e.staff();
    let server = e.serve(&staff.engineer, &[]);
    let http = reqwest::Client::new();
    for i in 0..10 {
        let res = http
            .post(format!("{}api/watchlists/W1/import?check=true", server.url))
            .bearer_auth("lfr_not-a-token")
            .header("content-type", "application/gzip")
            .body(vec![7u8; 4 << 20])
            .send()
            .await
            .unwrap_or_else(|e| panic!("refusal {i} did not arrive: {e}"));
        assert!(
            matches!(res.status().as_u16(), 401 | 429),
            "{}",
            res.status()
        );
    }
}
