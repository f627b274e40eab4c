//! Everything lfr reads from outside, one function per reader, each taking
//! arbitrary bytes. A reader may refuse its input with an error; it must
//! never panic, hang or take memory beyond its stated limits. The fuzzers
//! in `fuzz/` (cargo-fuzz, libFuzzer) call these; `tests/seeds.rs` replays
//! the seeds and every crash input kept in `seeds/` on every test run.

use lfr_domain::watchlist::{Template, WatchlistKind};

/// A fuzz target: any bytes in, a panic only on a bug.
pub type Target = fn(&[u8]);

/// Every target, by the name its fuzzer and seed folder carry.
pub const TARGETS: &[(&str, Target)] = &[
    ("watchlist_manifest", watchlist_manifest),
    ("package_manifest", package_manifest),
    ("combined_model", combined_model),
    ("calibration", calibration),
    ("image", image),
    ("dlib_resnet", dlib_resnet),
    ("landmarks", landmarks),
    ("template", template),
    ("ppm", ppm),
    ("audit_checkpoint", audit_checkpoint),
    ("sealed", sealed),
    ("api_bodies", api_bodies),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// A watchlist import's manifest (CSV), for either kind of watchlist.
pub fn watchlist_manifest(data: &[u8]) {
    if let Some(t) = text(data) {
        for kind in [WatchlistKind::Standard, WatchlistKind::Blue] {
            let _ = lfr_domain::manifest::parse(t, kind);
        }
    }
}

/// A model package's `manifest.json`.
pub fn package_manifest(data: &[u8]) {
    if let Some(t) = text(data) {
        let _ = lfr_engine::package::Manifest::parse(t);
    }
}

/// A combined model's `combined.json`.
pub fn combined_model(data: &[u8]) {
    if let Some(t) = text(data) {
        let _ = lfr_engine::package::CombinedManifest::parse(t);
    }
}

/// A model's `calibration.json` and `calibration.fused.json`; what parses
/// must write back to what parses the same.
pub fn calibration(data: &[u8]) {
    let Some(t) = text(data) else { return };
    if let Ok(c) = lfr_engine::calibration::Calibration::from_json(t) {
        let again = lfr_engine::calibration::Calibration::from_json(&c.to_json());
        assert!(
            again.is_ok(),
            "a calibration that parsed did not parse again once written"
        );
    }
    if let Ok(f) = lfr_engine::fusion::FusionCalibration::from_json(t) {
        let _ = f.digest();
    }
}

/// A reference image or probe: JPEG or PNG.
pub fn image(data: &[u8]) {
    let _ = lfr_engine::image_file::decode(data);
}

/// dlib's ResNet descriptor in dlib's own serialisation.
pub fn dlib_resnet(data: &[u8]) {
    let _ = lfr_engine::describe::dlib_resnet::DlibResnet::parse("fuzz", data);
}

/// dlib's 5-point shape predictor.
pub fn landmarks(data: &[u8]) {
    let _ = lfr_engine::landmarks::ShapePredictor::from_bytes("fuzz", data);
}

/// A stored template; what parses must write back byte for byte.
pub fn template(data: &[u8]) {
    if let Ok(t) = Template::from_bytes(data) {
        assert_eq!(
            t.to_bytes(),
            data,
            "a template did not write back as it was read"
        );
    }
}

/// A frame of the PPM stream FFmpeg writes for the live pipeline.
pub fn ppm(data: &[u8]) {
    let _ = lfr_video::stream::parse_ppm(data);
}

/// An audit checkpoint as an auditor pastes it (`SEQ:HEAD:MAC`).
pub fn audit_checkpoint(data: &[u8]) {
    if let Some(t) = text(data) {
        let _ = lfr_store::audit::Checkpoint::parse(t);
    }
}

/// A sealed value as read back from the database: opening damaged or
/// foreign ciphertext is an error, never a panic, and never succeeds.
pub fn sealed(data: &[u8]) {
    let key = lfr_store::crypto::Key::from_bytes(&[7; 32]).expect("32 bytes");
    assert!(
        key.open(data, "alert:1:probe").is_err(),
        "forged ciphertext opened"
    );
}

/// The API's JSON bodies, as a client could send them.
pub fn api_bodies(data: &[u8]) {
    use lfr_server::api::{alerts, deployments, oversight};
    let _ = serde_json::from_slice::<lfr_domain::deployment::Application>(data);
    let _ = serde_json::from_slice::<deployments::AuthoriseBody>(data);
    let _ = serde_json::from_slice::<deployments::ReviewBody>(data);
    let _ = serde_json::from_slice::<alerts::AdjudicationBody>(data);
    let _ = serde_json::from_slice::<oversight::NewUserBody>(data);
}
