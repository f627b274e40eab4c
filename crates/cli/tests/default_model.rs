//! The default recognition model end to end on the `face_recognition`
//! test photographs (three of Obama, one of Biden), as a user who names no
//! model runs it. The built-in descriptor puts two of the Obama pairs near
//! 0.4 (crates/engine/tests/pipeline_end_to_end.rs); the default must put
//! every one at or above the APP's default threshold 0.64 (a calibrated
//! false match rate of 4e-7), and Biden below 0.3, where strangers score
//! all but once in a thousand comparisons.

mod common;

use common::*;

const DEFAULT_ALGORITHM: &str =
    "yunet-n-dynamic/combined-sface-dlib-v1/sface+dlib-resnet-v1-aa939b35";

fn compare(e: &Env, a: &str, b: &str) -> serde_json::Value {
    let image = |n: &str| shared(&format!("data/dlib-reference/images/{n}.jpg"));
    let (a, b) = (image(a), image(b));
    e.json(None, &["compare", a.to_str().unwrap(), b.to_str().unwrap()])
}

#[test]
fn the_default_model_matches_every_obama_pair_at_the_default_threshold() {
    let e = Env::new();
    for (a, b) in [
        ("obama", "obama2"),
        ("obama", "obama3"),
        ("obama2", "obama3"),
    ] {
        let r = compare(&e, a, b);
        assert_eq!(r["algorithm"], DEFAULT_ALGORITHM, "{r}");
        let s = r["score"].as_f64().unwrap();
        assert!(s >= 0.64, "{a} vs {b} scored {s}: {r}");
    }
    for a in ["obama", "obama2", "obama3"] {
        let r = compare(&e, a, "biden");
        let s = r["score"].as_f64().unwrap();
        // Below 0.3: strangers reach 0.3 once in a thousand comparisons.
        assert!(s < 0.3, "{a} vs biden scored {s}: {r}");
    }
}

#[test]
fn a_new_deployment_gets_the_default_model() {
    let e = Env::new();
    let admin = e.bootstrap();
    let silver = e.add_user(&admin, "silver", "silver_commander", "chief_inspector");
    let d = e.json(Some(&silver), APPLY);
    assert_eq!(
        (
            d["recognition"]["model"].as_str(),
            d["recognition"]["algorithm"].as_str()
        ),
        (Some("sface-dlib"), Some(DEFAULT_ALGORITHM)),
        "{d}"
    );
}
