//! The default model's shipped calibrations hold for people they were
//! never fitted on: fitted on LFW people A-M (raised by the margin measured
//! between the two halves of A-M), every calibrated false match rate is
//! checked by pairs of people on N-Z. This describes all of LFW (a few
//! minutes on two cores).

mod common;

use common::*;

#[test]
fn the_default_calibrations_hold_on_unseen_people() {
    let lfw = shared("data/lfw");
    let r = Env::new().json(
        None,
        &[
            "bench",
            "lfw",
            "--data",
            lfw.to_str().unwrap(),
            "--closest",
            "0",
        ],
    );
    let checks = r["checks"]
        .as_array()
        .expect("bench lfw reports its checks");
    // The single-image, AS-norm and seven fused curves at five scores each.
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
        "calibrated rates that do not hold on people N-Z: {failed:#?}"
    );
}
