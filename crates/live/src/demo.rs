//! Demo volunteers from a crowd video that has no identities.
//!
//! The demo replays a public crowd video as a camera. Nobody in it is on any
//! watchlist, so to show real alerts the demo plays the part of a Blue
//! Watchlist walk-through: it picks a few passers-by who are clearly visible
//! (the largest, most frontal, sharpest faces of distinct tracks), cuts a
//! reference image of each from the video, and enrols them as consenting
//! volunteers. Replaying the video then raises alerts for them, through the
//! same detection, tracking, search and store as any deployment.
//!
//! Because the reference images come from the same footage, the demo's
//! scores are higher than a real walk-through would give (same lighting,
//! same day, same camera). The demo shows the workflow; accuracy is
//! measured on LFW (`lfr bench lfw`).

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;
use std::time::Instant;

use image::RgbImage;
use lfr_domain::enrol::Enroller;
use lfr_engine::detect::{DetectorConfig, Face};
use lfr_engine::geometry::BoundingBox;
use lfr_engine::pipeline::{Engine, EngineConfig, ModelFiles};
use lfr_engine::template::{Algorithm, Template};
use lfr_store::import::ImportSource;
use lfr_video::{Stream, StreamOptions};

use crate::enrol::EngineEnroller;
use crate::gate::merit;
use crate::session::LiveError;
use crate::tracker::{Tracker, TrackerConfig};

/// A passer-by chosen as a demo volunteer.
#[derive(Clone)]
pub struct Volunteer {
    /// `V01`, `V02`, ...
    pub reference: String,
    /// A made-up name for the console ("Demo volunteer 1").
    pub name: String,
    /// The reference image: the face and its surroundings, JPEG.
    pub jpeg: Vec<u8>,
    /// Where it was cut from.
    pub frame: u64,
    pub bbox: BoundingBox,
    pub inter_eye_px: f32,
}

impl std::fmt::Debug for Volunteer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Volunteer({}, frame {}, {:.0} px between the eyes)",
            self.reference, self.frame, self.inter_eye_px
        )
    }
}

/// Stricter than the live gate: a reference should be near the
/// custody-photo ideal.
const MIN_IOD: f32 = 28.0;
const MAX_YAW: f32 = 20.0;
const MAX_PITCH: f32 = 20.0;
/// Two picks whose templates are closer than this are likely one person
/// seen in two tracks (the calibrated score at 0.45 is about 0.42, a false
/// match rate near 4e-5).
const SAME_PERSON: f32 = 0.45;
/// At most this many frames are examined (one in `STEP`).
const MAX_FRAMES: u64 = 600;
const STEP: u64 = 2;

/// The best face of a track so far.
struct Best {
    merit: f32,
    frame: u64,
    face: Face,
    image: std::sync::Arc<RgbImage>,
}

/// Picks up to `count` clearly visible, distinct passers-by from `video`
/// and cuts a reference image of each. Each image is graded as an import
/// would grade it, and only images fit to enrol are kept. Takes a few
/// seconds per hundred frames.
pub fn pick_volunteers(
    video: &Path,
    models: &ModelFiles,
    count: usize,
) -> Result<Vec<Volunteer>, LiveError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut engine = Engine::open(
        models,
        &EngineConfig {
            detector: DetectorConfig::default(),
            threads,
            ..EngineConfig::default()
        },
    )?;
    let input = video.to_string_lossy();
    let mut stream = Stream::open(&input, &StreamOptions::default())
        .map_err(|e| LiveError::Config(e.to_string()))?;
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut best: BTreeMap<u64, Best> = BTreeMap::new();
    let start = Instant::now();
    while let Some(frame) = stream
        .next_frame()
        .map_err(|e| LiveError::Config(e.to_string()))?
    {
        if frame.index >= MAX_FRAMES * STEP {
            break;
        }
        if frame.index % STEP != 0 {
            continue;
        }
        let faces = engine.detect(&frame.image)?;
        let boxes: Vec<_> = faces.iter().map(|f| f.bbox).collect();
        // Video time, not wall time: the file is read as fast as it decodes.
        let at = start + std::time::Duration::from_millis(frame.index * 40);
        let (assigned, _) = tracker.update(at, &boxes);
        let image = std::sync::Arc::new(frame.image);
        for (face, &(ti, _)) in faces.iter().zip(&assigned) {
            let q = &face.quality;
            if q.inter_eye_px < MIN_IOD
                || q.pose.yaw.abs() > MAX_YAW
                || q.pose.pitch.abs() > MAX_PITCH
            {
                continue;
            }
            let m = merit(q);
            let id = tracker.track(ti).id;
            if best.get(&id).is_none_or(|b| m > b.merit) {
                best.insert(
                    id,
                    Best {
                        merit: m,
                        frame: frame.index,
                        face: face.clone(),
                        image: image.clone(),
                    },
                );
            }
        }
    }
    let mut ranked: Vec<Best> = best.into_values().collect();
    ranked.sort_by(|a, b| b.merit.total_cmp(&a.merit));

    let enroller = EngineEnroller::open(models)?;
    let algorithm = Algorithm(enroller.algorithm());
    let mut chosen: Vec<(Volunteer, Template)> = Vec::new();
    for b in ranked {
        if chosen.len() == count {
            break;
        }
        let jpeg = portrait(&b.image, &b.face.bbox);
        let Ok(e) = enroller.enrol(&jpeg) else {
            continue;
        };
        let Some(t) = e
            .template
            .filter(|_| e.grade != lfr_domain::watchlist::QualityGrade::Poor)
        else {
            continue;
        };
        let t = Template::new(algorithm.clone(), t.vector);
        if chosen
            .iter()
            .any(|(_, c)| c.distance(&t).is_ok_and(|d| d < SAME_PERSON))
        {
            continue;
        }
        let n = chosen.len() + 1;
        chosen.push((
            Volunteer {
                reference: format!("V{n:02}"),
                name: format!("Demo volunteer {n}"),
                jpeg,
                frame: b.frame,
                bbox: b.face.bbox,
                inter_eye_px: b.face.quality.inter_eye_px,
            },
            t,
        ));
    }
    Ok(chosen.into_iter().map(|(v, _)| v).collect())
}

/// A head-and-shoulders square around the face (2.4 box widths), as a
/// reference photograph would frame it.
fn portrait(image: &RgbImage, b: &BoundingBox) -> Vec<u8> {
    let side = b.w.max(b.h) * 2.4;
    let (cx, cy) = (b.x + b.w / 2.0, b.y + b.h / 2.0);
    let x0 = (cx - side / 2.0).max(0.0);
    let y0 = (cy - side / 2.0).max(0.0);
    let x1 = (cx + side / 2.0).min(image.width() as f32);
    let y1 = (cy + side / 2.0).min(image.height() as f32);
    let crop = image::imageops::crop_imm(
        image,
        x0 as u32,
        y0 as u32,
        ((x1 - x0) as u32).max(1),
        ((y1 - y0) as u32).max(1),
    )
    .to_image();
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
        .encode_image(&crop)
        .expect("encoding an in-memory RGB image cannot fail");
    out.into_inner()
}

/// A Blue Watchlist import of the volunteers, each with recorded consent,
/// ready for `lfr_store::import::prepare` and `Store::commit_import`.
pub fn blue_watchlist(volunteers: &[Volunteer], recorded_by: &str) -> ImportSource {
    let mut files = BTreeMap::new();
    let mut entries = Vec::new();
    for v in volunteers {
        let file = format!("{}.jpg", v.reference.to_ascii_lowercase());
        files.insert(file.clone(), v.jpeg.clone());
        entries.push(serde_json::json!({
            "ref": v.reference,
            "name": v.name,
            "category": "volunteer",
            "justification": "Consenting volunteer walking through the zone to measure the True Recognition Rate (demo)",
            "source": "Demo consent record",
            "under_18": false,
            "images": [{
                "file": file,
                "consent": {
                    "form_reference": format!("DEMO-{}", v.reference),
                    "signed_on": "2026-01-01",
                    "recorded_by": recorded_by,
                }
            }]
        }));
    }
    files.insert(
        "manifest.json".to_string(),
        serde_json::to_vec_pretty(&serde_json::json!({ "entries": entries }))
            .expect("JSON of strings"),
    );
    ImportSource::from_files("demo volunteers", files)
}

/// A standard watchlist for demos and tests: `count` people of the LFW
/// images folder (`<Name>/<Name>_0001.jpg`), in name order, each with the
/// first image the enroller finds fit to enrol. LFW's public photographs
/// stand in for wanted people; none of them is in the crowd video, so they
/// exercise the search with real strangers.
pub fn lfw_watchlist(
    lfw_images: &Path,
    count: usize,
    enroller: &dyn Enroller,
) -> Result<ImportSource, LiveError> {
    let mut people: Vec<_> = std::fs::read_dir(lfw_images)
        .map_err(|e| LiveError::Config(format!("cannot read {}: {e}", lfw_images.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    people.sort();
    let mut files = BTreeMap::new();
    let mut entries = Vec::new();
    for dir in people {
        if entries.len() == count {
            break;
        }
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let file = dir.join(format!("{name}_0001.jpg"));
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        if !enroller.enrol(&bytes).is_ok_and(|e| {
            e.template.is_some() && e.grade != lfr_domain::watchlist::QualityGrade::Poor
        }) {
            continue;
        }
        let n = entries.len() + 1;
        let rel = format!("{name}.jpg");
        files.insert(rel.clone(), bytes);
        entries.push(serde_json::json!({
            "ref": format!("S{n:03}"),
            "name": name.replace('_', " "),
            "category": "wanted_by_courts",
            "justification": "Demo: a public photograph standing in for a person wanted on warrant",
            "source": "Labeled Faces in the Wild (public research data)",
            "under_18": false,
            "images": [rel],
        }));
    }
    if entries.is_empty() {
        return Err(LiveError::Config(format!(
            "no enrollable LFW image under {}",
            lfw_images.display()
        )));
    }
    files.insert(
        "manifest.json".to_string(),
        serde_json::to_vec_pretty(&serde_json::json!({ "entries": entries }))
            .expect("JSON of strings"),
    );
    Ok(ImportSource::from_files("LFW demo watchlist", files))
}
