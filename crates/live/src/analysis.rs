//! What happens to one frame of one camera: detection, the zone, the
//! quality gate, tracking, templates for a track's best faces, the search,
//! and the decision to alert.

use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant};

use image::RgbImage;
use lfr_engine::calibration::Calibration;
use lfr_engine::detect::Face;
use lfr_engine::fusion::{Fused, TrackProbe};
use lfr_engine::geometry::BoundingBox;
use lfr_engine::pipeline::{Engine, EngineError};
use lfr_engine::quality::Quality;
use lfr_engine::template::Template;
use lfr_video::Frame;

use crate::camera::Zone;
use crate::events::Match;
use crate::figures::{Counters, add};
use crate::gallery::{Gallery, Hit};
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
    /// best described so far. 8: a passer's face grows from 20 px between
    /// the eyes to 60 or more on the way in, and each clearly better step may be
    /// the view that matches; with 4, the walk-through seeds recognised 48
    /// of 400 volunteers, with 8, 54, and no more false alerts.
    pub templates_per_track: u32,
    /// "Clearly better": merit at least this many times the best so far.
    /// 1.05: a face a twentieth better (nearer, more frontal, sharper) may
    /// be the one that matches. On the four walk-through seeds (the default
    /// model, ONNX Runtime) 1.25 recognised 150 of 400 volunteers, 1.1 158
    /// and 1.05 160, with no false alert and the same highest false scores
    /// throughout, for a few per cent more templates (docs/live.md).
    pub better_by: f32,
    /// A face that passed the gate also earns a template when the track's
    /// last one is this old, better or not, or when the track may have
    /// passed to someone else ([`Track::uncertain`]): it checks that the
    /// track still follows the same person (see `identity_break`). On the
    /// walk-through seeds, describing the uncertain moments too recognised
    /// 200 of 400 volunteers instead of 184 (w600k-mbf) and halved the
    /// median recognition time, for 60 % more templates.
    pub recheck: Duration,
    /// A new template whose Similarity Score against every frame the track
    /// kept is below this belongs to someone else: the track is split and
    /// the newcomer gets a track of their own. Boxes alone cannot tell a
    /// passer crossing in front, or the next person in a queue, from the
    /// person followed. 0.2 is a false match rate of 1 in 100: the same
    /// person's frames almost never score so low, and 99 in 100 strangers do.
    pub identity_break: f64,
    /// Detection where faces can be ([`Regions`]); `None` looks at the
    /// whole of every frame.
    pub regions: Option<Regions>,
}

/// Between whole-frame detections, detect only around live tracks
/// ([`Tracker::search_regions`]): a face seen in the last frame can only be
/// near where it was, and a crop around it costs a fraction of a 1080p
/// frame. A face that was not there before is found at the next whole-frame
/// pass, at most `full_every` later.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Regions {
    /// The longest time between whole-frame detections.
    pub full_every: Duration,
    /// When the regions cover more than this share of the frame, the whole
    /// frame is looked at instead: it costs about the same and misses nothing.
    pub max_share: f32,
}

impl Default for Regions {
    fn default() -> Self {
        Self {
            full_every: Duration::from_millis(400),
            max_share: 0.5,
        }
    }
}

impl AnalysisConfig {
    /// Whether a frame's faces may be searched for before the frame before
    /// is analysed: not with [`Regions`], which come from that frame's tracks.
    pub fn searches_ahead(&self) -> bool {
        self.regions.is_none()
    }

    /// Whether a face of track `t` that passed the gate earns a template,
    /// and if so counts it against the track's budget and settles the
    /// track's uncertainty. One rule for the live pipeline and for anything
    /// that replays it (the walk-through).
    pub fn take_template(&self, t: &mut Track, quality: &Quality, at: Instant) -> bool {
        let m = merit(quality);
        let due = t
            .last_described
            .is_some_and(|last| at.saturating_duration_since(last) >= self.recheck);
        let wanted = t.described == 0
            || (t.described < self.templates_per_track && m >= t.best_merit * self.better_by)
            || due
            || t.uncertain;
        if wanted {
            t.uncertain = false;
            t.described += 1;
            t.last_described = Some(at);
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
            templates_per_track: 8,
            better_by: 1.05,
            recheck: Duration::from_secs(1),
            identity_break: 0.2,
            regions: None,
        }
    }
}

/// The recognition a camera does while the deployment allows it.
#[derive(Debug, Clone)]
pub struct Recognition {
    pub gallery: Arc<Gallery>,
    pub threshold: Threshold,
}

/// Where a camera's faces are looked for: its zone and its smallest face.
/// Fixed for the camera, so that one worker may search a frame while
/// another analyses the frame before ([`crate::handoff`]).
#[derive(Clone)]
pub struct ZoneSearch {
    zone: Option<Zone>,
    /// The camera's own smallest face, if it sets one ([`crate::camera::MinEyes`]).
    min_eyes: Option<f32>,
    counters: Arc<Counters>,
}

impl ZoneSearch {
    /// The faces of the whole frame centred in the zone, down to the
    /// camera's smallest face. A camera with a zone has only the part of
    /// the frame where a face centred in the zone can lie searched
    /// ([`Zone::search_box`]): faces elsewhere are not even detected,
    /// unless a face too large for that part is seen cut at its side and
    /// the frame is searched whole. Faces outside the zone are dropped and
    /// counted.
    pub fn faces(&self, engine: &mut Engine, image: &RgbImage) -> Result<Vec<Face>, EngineError> {
        let faces = self.detect_zone(engine, image)?;
        Ok(self.within_zone(faces))
    }

    fn within_zone(&self, mut faces: Vec<Face>) -> Vec<Face> {
        if let Some(zone) = &self.zone {
            let before = faces.len();
            faces.retain(|f| zone.contains(f.bbox.x + f.bbox.w / 2.0, f.bbox.y + f.bbox.h / 2.0));
            add(&self.counters.outside_zone, (before - faces.len()) as u64);
        }
        faces
    }

    /// The whole frame's faces, searched only where a face reaching into
    /// the zone can lie ([`Zone::search_box`]). A face too large for that
    /// box and reaching into the zone is cut by its side: then the frame is
    /// searched whole, so that no face a whole-frame search finds in the
    /// zone is missed.
    fn detect_zone(&self, engine: &mut Engine, image: &RgbImage) -> Result<Vec<Face>, EngineError> {
        let (w, h) = image.dimensions();
        let zone = self
            .zone
            .as_ref()
            .and_then(|z| Some((z.bounds(), z.search_box(w, h)?)));
        let Some((bounds, within)) = zone else {
            return engine.detect_for(image, None, self.min_eyes);
        };
        let faces = engine.detect_for(image, Some(&[within]), self.min_eyes)?;
        // A face cut by a side of the box has its centre in the zone only
        // if its part inside the box reaches the zone.
        let cut = engine.detector().cut_at_seams();
        if cut.iter().any(|b| b.iou(&bounds) > 0.0) {
            return engine.detect_for(image, None, self.min_eyes);
        }
        Ok(faces)
    }
}

/// One camera's state between frames.
pub struct CameraAnalysis {
    pub name: String,
    /// Shared with the hand-off, which lends it with each frame that may be
    /// searched before its turn.
    search: Arc<ZoneSearch>,
    config: AnalysisConfig,
    tracker: Tracker,
    counters: Arc<Counters>,
    /// When the whole frame was last looked at ([`Regions`]).
    last_full: Option<Instant>,
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
            search: Arc::new(ZoneSearch {
                zone,
                min_eyes: None,
                counters: counters.clone(),
            }),
            tracker: Tracker::new(config.tracker),
            config,
            counters,
            last_full: None,
        }
    }

    /// Searches this camera's frames for faces down to `min_eyes` rather
    /// than the detector's own smallest face.
    pub fn with_min_eyes(mut self, min_eyes: Option<crate::camera::MinEyes>) -> Self {
        Arc::make_mut(&mut self.search).min_eyes = min_eyes.map(|m| m.px());
        self
    }

    /// Where this camera's faces are looked for, when any worker may look
    /// before the frame before is analysed ([`AnalysisConfig::searches_ahead`]).
    pub fn search_ahead(&self) -> Option<Arc<ZoneSearch>> {
        self.config.searches_ahead().then(|| self.search.clone())
    }

    /// The camera's running counts.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Ends every track: recognition paused, so nothing carries over.
    pub fn forget(&mut self) {
        self.tracker.clear();
        self.last_full = None;
    }

    /// The faces of a frame seen at `at`: those [`ZoneSearch::faces`] finds,
    /// or, when [`AnalysisConfig::regions`] says so, only those near where
    /// the tracks were, down to the camera's smallest face.
    pub fn detect(
        &mut self,
        engine: &mut Engine,
        image: &RgbImage,
        at: Instant,
    ) -> Result<Vec<Face>, EngineError> {
        let regions = self.config.regions.and_then(|r| {
            let due = self
                .last_full
                .is_none_or(|t| at.saturating_duration_since(t) >= r.full_every);
            if due {
                return None;
            }
            let boxes = self.tracker.search_regions(at);
            let frame = image.width() as f32 * image.height() as f32;
            let area: f32 = boxes.iter().map(|b| b.w * b.h).sum();
            (area <= r.max_share * frame).then_some(boxes)
        });
        match regions {
            None => {
                self.last_full = Some(at);
                self.search.faces(engine, image)
            }
            Some(b) if b.is_empty() => Ok(Vec::new()),
            Some(b) => {
                let faces = engine.detect_for(image, Some(&b), self.search.min_eyes)?;
                Ok(self.search.within_zone(faces))
            }
        }
    }

    /// Analyses one frame; returns the matches to raise as alerts.
    pub fn process(
        &mut self,
        engine: &mut Engine,
        frame: &Frame,
        recognition: &Recognition,
    ) -> Result<Vec<Match>, EngineError> {
        let started = Instant::now();
        let faces = self.detect(engine, &frame.image, frame.captured)?;
        self.process_found(engine, frame, &faces, recognition, started.elapsed())
    }

    /// Analyses one frame whose faces were found already (by
    /// [`ZoneSearch::faces`], in `searching`), in the camera's frame order.
    pub fn process_found(
        &mut self,
        engine: &mut Engine,
        frame: &Frame,
        faces: &[Face],
        recognition: &Recognition,
        searching: Duration,
    ) -> Result<Vec<Match>, EngineError> {
        let started = Instant::now();
        // Faces are noted for the operator's view only while someone looks.
        let view_due = self.counters.view.due(frame.captured);
        let (mut seen, mut nothing) = (FacesSeen::default(), ());
        let observer: &mut dyn Observer = if view_due { &mut seen } else { &mut nothing };
        let matches = self.analyse(
            engine,
            &frame.image,
            frame.captured,
            faces,
            recognition,
            observer,
        )?;
        add(&self.counters.frames_analysed, 1);
        add(
            &self.counters.analysis_ms,
            (searching + started.elapsed()).as_millis() as u64,
        );
        // Made after the analysis, off its clock.
        if view_due {
            let jpeg = crate::view::render(&frame.image, &seen.0);
            self.counters.view.put(crate::view::View {
                jpeg: std::sync::Arc::new(jpeg),
                captured: frame.captured,
            });
        }
        Ok(matches)
    }

    /// Everything after detection, for the faces of a frame that arrived
    /// `at`: tracking, the gate, templates for the best faces, the fused
    /// search and the decision to alert. `observer` sees each step (the
    /// walk-through evaluation records them; the live pipeline passes `()`).
    pub fn analyse(
        &mut self,
        engine: &mut Engine,
        image: &RgbImage,
        at: Instant,
        faces: &[Face],
        recognition: &Recognition,
        observer: &mut dyn Observer,
    ) -> Result<Vec<Match>, EngineError> {
        let c = &*self.counters;
        add(&c.detections, faces.len() as u64);
        let boxes: Vec<_> = faces.iter().map(|f| f.bbox).collect();
        // Tracks that ended are dropped here, zeroing their probes.
        let (assigned, _ended) = self.tracker.update(at, &boxes);

        // Which faces to describe, and for which track.
        let mut gated = vec![false; faces.len()];
        let mut chosen: Vec<(usize, usize)> = Vec::new();
        for (fi, (face, &(ti, new))) in faces.iter().zip(&assigned).enumerate() {
            if new {
                add(&c.tracks, 1);
            }
            gated[fi] = self.config.gate.passes(&face.quality);
            if !gated[fi] {
                continue;
            }
            let t = self.tracker.track_mut(ti);
            if t.first_qualified.is_none() {
                t.first_qualified = Some(at);
                add(&c.faces_scanned, 1);
            }
            if self.config.take_template(t, &face.quality, at) {
                chosen.push((fi, ti));
            }
        }
        let templates = if chosen.is_empty() {
            Vec::new()
        } else {
            let to_describe: Vec<Face> = chosen.iter().map(|&(fi, _)| faces[fi].clone()).collect();
            engine.templates(image, &to_describe)?
        };
        add(&c.templates, templates.len() as u64);
        let calibration = engine.calibration()?;
        let mut matches = Vec::new();
        let mut searches = Vec::new();
        for (template, &(fi, ti)) in templates.into_iter().zip(&chosen) {
            let quality = &faces[fi].quality;
            if !still_same_person(
                &self.tracker.track(ti).probe,
                &template,
                calibration,
                self.config.identity_break,
            )? {
                self.tracker.split(ti, at);
                add(&c.tracks, 1);
                add(&c.faces_scanned, 1);
                let t = self.tracker.track_mut(ti);
                t.first_qualified = Some(at);
                self.config.take_template(t, quality, at);
            }
            // A frame that is not among the track's best is zeroed at once.
            if self
                .tracker
                .track_mut(ti)
                .probe
                .offer(template, merit(quality))
            {
                searches.push((fi, ti));
            }
        }
        // Detections are reported once the tracks they belong to are settled.
        for (fi, &(ti, _)) in assigned.iter().enumerate() {
            observer.detected(self.tracker.track(ti), &faces[fi], gated[fi]);
        }
        let threshold = recognition.threshold.value();
        for (fi, ti) in searches {
            let t = self.tracker.track_mut(ti);
            let probe = recognition.gallery.matcher().probe_track(&t.probe)?;
            let candidates = recognition.gallery.candidates(&probe)?;
            observer.searched(t, &faces[fi], &probe, &candidates)?;
            drop(probe);
            let Some(hit) = candidates
                .into_iter()
                .find(|h| h.score >= threshold && !t.alerted.contains(&(h.inclusion.0 as u64)))
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
                threshold,
                first_qualified: t.first_qualified.unwrap_or(at),
                decided: Instant::now(),
                frame_captured: at,
                template: t.described,
                probe: probe_crop(image, &faces[fi]),
            });
        }
        Ok(matches)
    }
}

/// Whether `template` is of the person whose frames `probe` kept: its
/// score against at least one of them reaches `at_least`. An empty probe
/// has no one to differ from.
fn still_same_person(
    probe: &TrackProbe,
    template: &Template,
    calibration: &Calibration,
    at_least: f64,
) -> Result<bool, EngineError> {
    for s in probe.samples() {
        if calibration.score(template.distance(s.template)?) >= at_least {
            return Ok(true);
        }
    }
    Ok(probe.is_empty())
}

/// What the analysis does, step by step, for tools that must see exactly
/// what the live pipeline saw and decided (the walk-through evaluation
/// records every search to sweep thresholds afterwards). Nothing is kept
/// by the live pipeline itself: it observes with `()`.
pub trait Observer {
    /// A face of `track` was detected in this frame; `gated` says whether
    /// it passed the quality gate.
    fn detected(&mut self, _track: &Track, _face: &Face, _gated: bool) {}

    /// The track's fused probe changed (the frame of `face` joined its best)
    /// and was searched: `candidates` are the gallery's best, whatever their
    /// scores. `probe` is biometric data: an observer that keeps anything
    /// of it takes on the duty to delete it. An error stops the frame's
    /// analysis and is returned by [`CameraAnalysis::analyse`].
    fn searched(
        &mut self,
        _track: &Track,
        _face: &Face,
        _probe: &Fused,
        _candidates: &[Hit],
    ) -> Result<(), EngineError> {
        Ok(())
    }
}

impl Observer for () {}

/// The faces of a frame, each with whether its track has raised an alert
/// (one raised in this very frame shows from the next): what the
/// operator's view fills over or keeps sharp ([`crate::view`]).
#[derive(Default)]
struct FacesSeen(Vec<(BoundingBox, bool)>);

impl Observer for FacesSeen {
    fn detected(&mut self, track: &Track, face: &Face, _gated: bool) {
        self.0.push((face.bbox, !track.alerted.is_empty()));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::Tracker;
    use lfr_engine::align::AlignMethod;
    use lfr_engine::geometry::BoundingBox;
    use lfr_engine::pipeline::algorithm;
    use lfr_engine::quality::Pose;

    fn q(iod: f32) -> Quality {
        Quality {
            inter_eye_px: iod,
            score: 0.9,
            pose: Pose::default(),
            sharpness: 0.1,
            ..Default::default()
        }
    }

    #[test]
    fn first_face_then_clearly_better_then_a_recheck_each_second() {
        let config = AnalysisConfig::default();
        let mut tracker = Tracker::new(config.tracker);
        let t0 = Instant::now();
        let b = BoundingBox {
            x: 10.0,
            y: 10.0,
            w: 40.0,
            h: 40.0,
        };
        let (r, _) = tracker.update(t0, &[b]);
        let t = tracker.track_mut(r[0].0);
        let ms = |n| t0 + Duration::from_millis(n);
        assert!(config.take_template(t, &q(30.0), ms(0)), "the first face");
        assert!(
            !config.take_template(t, &q(31.0), ms(200)),
            "not clearly better"
        );
        assert!(config.take_template(t, &q(40.0), ms(400)), "clearly better");
        assert!(!config.take_template(t, &q(30.0), ms(1000)), "not yet due");
        assert!(config.take_template(t, &q(30.0), ms(1400)), "due a recheck");
        assert_eq!(t.described, 3);
        t.uncertain = true;
        assert!(
            config.take_template(t, &q(30.0), ms(1600)),
            "the track may follow someone else now"
        );
        assert!(!t.uncertain, "settled by the template");
        assert!(!config.take_template(t, &q(30.0), ms(1800)));
    }

    #[test]
    fn a_stranger_in_the_tracks_place_is_someone_else() {
        let alg = algorithm(AlignMethod::YuNet5);
        let calibration = Calibration::shipped(&alg).unwrap();
        let unit = |i: usize, scale: f32| {
            let mut v = vec![0.0f32; 128];
            v[i] = scale;
            Template::new(alg.clone(), v)
        };
        let mut probe = TrackProbe::default();
        let me = unit(0, 0.5);
        assert!(
            still_same_person(&probe, &me, &calibration, 0.2).unwrap(),
            "an empty probe has no one to differ from"
        );
        probe.offer(unit(0, 0.5), 1.0);
        let near = unit(0, 0.55);
        assert!(still_same_person(&probe, &near, &calibration, 0.2).unwrap());
        // 1.0 apart: farther than almost any two faces of one person.
        let stranger = unit(1, 0.87);
        assert!(!still_same_person(&probe, &stranger, &calibration, 0.2).unwrap());
        let other = Template::new(
            lfr_engine::template::Algorithm("x/y/z".into()),
            vec![0.0; 128],
        );
        assert!(still_same_person(&probe, &other, &calibration, 0.2).is_err());
    }
}
