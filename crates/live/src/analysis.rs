//! What happens to one frame of one camera: detection, the zone, the
//! quality gate, tracking, templates for a track's best faces, the search,
//! and the decision to alert.

use std::io::Cursor;
use std::sync::Arc;
use std::time::Instant;

use image::RgbImage;
use lfr_engine::detect::Face;
use lfr_engine::pipeline::{Engine, EngineError};
use lfr_engine::quality::Quality;
use lfr_video::Frame;

use crate::camera::Zone;
use crate::events::Match;
use crate::figures::{Counters, add};
use crate::gallery::Gallery;
use crate::gate::{QualityGate, merit};
use crate::threshold::Threshold;
use crate::tracker::{Track, Tracker, TrackerConfig};

/// How a camera's frames are judged.
#[derive(Debug, Clone, Copy)]
pub struct AnalysisConfig {
    pub gate: QualityGate,
    pub tracker: TrackerConfig,
    /// Templates made per track at most: the first face that passes the
    /// gate (for a quick answer), then only faces clearly better than the
    /// best described so far.
    pub templates_per_track: u32,
    /// "Clearly better": merit at least this many times the best so far.
    pub better_by: f32,
}

impl AnalysisConfig {
    /// Whether a face of track `t` that passed the gate earns a template,
    /// and if so counts it against the track's budget. One rule for the live
    /// pipeline and for anything that replays it (the walk-through).
    pub fn take_template(&self, t: &mut Track, quality: &Quality) -> bool {
        let m = merit(quality);
        let wanted = t.described == 0
            || (t.described < self.templates_per_track && m >= t.best_merit * self.better_by);
        if wanted {
            t.described += 1;
            t.best_merit = t.best_merit.max(m);
        }
        wanted
    }
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            gate: QualityGate::default(),
            tracker: TrackerConfig::default(),
            templates_per_track: 4,
            better_by: 1.25,
        }
    }
}

/// The recognition a camera does while the deployment allows it.
#[derive(Debug, Clone)]
pub struct Recognition {
    pub gallery: Arc<Gallery>,
    pub threshold: Threshold,
}

/// One camera's state between frames.
pub struct CameraAnalysis {
    pub name: String,
    zone: Option<Zone>,
    config: AnalysisConfig,
    tracker: Tracker,
    counters: Arc<Counters>,
}

impl CameraAnalysis {
    pub fn new(
        name: String,
        zone: Option<Zone>,
        config: AnalysisConfig,
        counters: Arc<Counters>,
    ) -> Self {
        Self {
            name,
            zone,
            tracker: Tracker::new(config.tracker),
            config,
            counters,
        }
    }

    /// Ends every track: recognition paused, so nothing carries over.
    pub fn forget(&mut self) {
        self.tracker.clear();
    }

    /// Analyses one frame; returns the matches to raise as alerts.
    pub fn process(
        &mut self,
        engine: &mut Engine,
        frame: &Frame,
        recognition: &Recognition,
    ) -> Result<Vec<Match>, EngineError> {
        let started = Instant::now();
        let c = &*self.counters;
        let mut faces = engine.detect(&frame.image)?;
        if let Some(zone) = &self.zone {
            let before = faces.len();
            faces.retain(|f| zone.contains(f.bbox.x + f.bbox.w / 2.0, f.bbox.y + f.bbox.h / 2.0));
            add(&c.outside_zone, (before - faces.len()) as u64);
        }
        add(&c.detections, faces.len() as u64);
        let boxes: Vec<_> = faces.iter().map(|f| f.bbox).collect();
        let (assigned, _ended) = self.tracker.update(frame.captured, &boxes);

        // Which faces to describe, and for which track.
        let mut chosen: Vec<(usize, usize)> = Vec::new();
        for (fi, (face, &(ti, new))) in faces.iter().zip(&assigned).enumerate() {
            if new {
                add(&c.tracks, 1);
            }
            if !self.config.gate.passes(&face.quality) {
                continue;
            }
            let t = self.tracker.track_mut(ti);
            if t.first_qualified.is_none() {
                t.first_qualified = Some(frame.captured);
                add(&c.faces_scanned, 1);
            }
            if self.config.take_template(t, &face.quality) {
                chosen.push((fi, ti));
            }
        }
        let mut matches = Vec::new();
        if !chosen.is_empty() {
            let to_describe: Vec<Face> = chosen.iter().map(|&(fi, _)| faces[fi].clone()).collect();
            // Each template is searched and dropped (its vector zeroed) here.
            let templates = engine.templates(&frame.image, &to_describe)?;
            add(&c.templates, templates.len() as u64);
            for (template, &(fi, ti)) in templates.into_iter().zip(&chosen) {
                let hits = recognition
                    .gallery
                    .search(&template, recognition.threshold.value())?;
                drop(template);
                let t = self.tracker.track_mut(ti);
                let Some(hit) = hits
                    .into_iter()
                    .find(|h| !t.alerted.contains(&(h.inclusion.0 as u64)))
                else {
                    continue;
                };
                t.alerted.push(hit.inclusion.0 as u64);
                add(&c.matches, 1);
                matches.push(Match {
                    camera: self.name.clone(),
                    track: t.id,
                    inclusion: hit.inclusion,
                    image: hit.image,
                    category: hit.category,
                    score: hit.score,
                    threshold: recognition.threshold.value(),
                    first_qualified: t.first_qualified.unwrap_or(frame.captured),
                    decided: Instant::now(),
                    frame_captured: frame.captured,
                    template: t.described,
                    probe: probe_crop(&frame.image, &faces[fi]),
                });
            }
        }
        add(&c.frames_analysed, 1);
        add(&c.analysis_ms, started.elapsed().as_millis() as u64);
        Ok(matches)
    }
}

/// The face with its head and shoulders around it, as the operator needs to
/// see it beside the candidate image: a square of 2.2 face-box widths, cut
/// from the full-resolution frame (not enlarged), as JPEG.
pub fn probe_crop(image: &RgbImage, face: &Face) -> Vec<u8> {
    let b = face.bbox;
    let side = (b.w.max(b.h) * 2.2).max(32.0);
    let (cx, cy) = (b.x + b.w / 2.0, b.y + b.h / 2.0);
    let (w, h) = (image.width() as f32, image.height() as f32);
    let x0 = (cx - side / 2.0).clamp(0.0, (w - 1.0).max(0.0));
    let y0 = (cy - side / 2.0).clamp(0.0, (h - 1.0).max(0.0));
    let x1 = (cx + side / 2.0).clamp(x0 + 1.0, w);
    let y1 = (cy + side / 2.0).clamp(y0 + 1.0, h);
    let crop = image::imageops::crop_imm(
        image,
        x0 as u32,
        y0 as u32,
        (x1 - x0) as u32,
        (y1 - y0) as u32,
    )
    .to_image();
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&crop)
        .expect("encoding an in-memory RGB image cannot fail");
    out.into_inner()
}
