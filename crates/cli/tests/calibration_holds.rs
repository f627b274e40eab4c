//! The shipped calibrations hold for people they were never fitted on:
//! fitted on LFW people A-M (raised by the margin measured between the two
//! halves of A-M), every calibrated false match rate of every shipped
//! model is checked by pairs of people on N-Z (`lfr bench lfw
//! --checks-only`, which describes people N-Z alone: a minute or two a
//! model on two cores).

mod common;

use common::*;

/// Runs the 45 checks for `model` (the default when `None`) and fails
/// naming every rate that does not hold.
fn holds(model: Option<&str>) {
    let lfw = shared("data/lfw");
    let mut args = vec![];
    if let Some(m) = model {
        args.extend(["--model", m]);
    }
    args.extend([
        "bench",
        "lfw",
        "--data",
        lfw.to_str().unwrap(),
        "--checks-only",
    ]);
    let r = Env::new().json(None, &args);
    let checks = r["checks"]
        .as_array()
        .expect("bench lfw reports its checks");
    // The single-image, AS-norm and seven fused rows at five scores each.
    assert_eq!(checks.len(), 45, "{checks:#?}");
    let single = checks
        .iter()
        .find(|c| c["method"] == "single image")
        .unwrap();
    assert!(
        single["pairs"].as_u64().unwrap() > 1_000_000,
        "the single-image check should cover every pair of people N-Z: {single}"
    );
    let failed: Vec<_> = checks.iter().filter(|c| c["holds"] != true).collect();
    assert!(
        failed.is_empty(),
        "{}: calibrated rates that do not hold on people N-Z: {failed:#?}",
        r["algorithm"]
    );
}

#[test]
fn the_default_models_calibrations_hold_on_unseen_people() {
    holds(None);
}

#[test]
fn the_built_in_descriptors_calibrations_hold_on_unseen_people() {
    holds(Some("dlib-resnet-v1"));
}

#[test]
fn sfaces_calibrations_hold_on_unseen_people() {
    holds(Some("sface"));
}

#[test]
fn w600k_mbfs_calibrations_hold_on_unseen_people() {
    holds(Some("w600k-mbf"));
}
