//! `lfr eval walkthrough run`: enrol the Blue Watchlist padded to size, then
//! every frame of the video through the live pipeline's own analysis
//! ([`CameraAnalysis::analyse`] with [`AnalysisConfig::default`]: quality
//! gate, tracker, templates of a track's best faces, the fused 1:N search),
//! observing every search it makes and recording what each fused probe
//! scored against every subject. Only detection runs apart, on several
//! workers at once, with the same engine settings.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use image::RgbImage;
use lfr_domain::ids::{ImageId as DomainImageId, InclusionId};
use lfr_domain::watchlist::{Category, Template as StoredTemplate};
use lfr_engine::detect::{DetectorConfig, Face};
use lfr_engine::fusion::{Fused, Matcher};
use lfr_engine::pipeline::{Engine, EngineConfig, EngineError, ModelFiles};
use lfr_engine::template::TemplateError;
use lfr_eval::exclusions::Exclusions;
use lfr_eval::faceset::{self, Described};
use lfr_eval::lfw::ImageId;
use lfr_live::analysis::{AnalysisConfig, CameraAnalysis, Observer, Recognition, Regions};
use lfr_live::figures::Counters;
use lfr_live::gallery::{Gallery, Hit};
use lfr_live::gate::merit;
use lfr_live::threshold::Threshold;
use lfr_live::tracker::Track;
use lfr_store::templates::GalleryEntry;
use lfr_video::{DecodeOptions, Decoder, VideoError};

use crate::cast::{self, CastError};
use crate::record::{
    Analysis, Detection, Probe, RECORD_FORMAT, Record, Still, Subject, SubjectRole, TrackRecord,
};
use crate::truth::{Enrolment, Role, Truth, TruthError};

/// Scores below this are not kept: far below any threshold a force would
/// use (0.25 is a false match rate of about 3e-3 per comparison).
pub const FLOOR: f64 = 0.25;
/// Candidates kept per template at most.
pub const KEPT: usize = 128;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub threshold: f64,
    pub watchlist_size: usize,
    /// Padding identities described at most (default: every one available).
    pub pool: Option<usize>,
    pub workers: usize,
    /// A descriptor cache of LFW made by `lfr bench lfw --cache`, if any.
    pub cache: Option<PathBuf>,
    /// Detection where faces can be, as the live pipeline may run it
    /// ([`AnalysisConfig::regions`]); each frame's detection then waits for
    /// the tracks of the one before, so frames are detected one at a time.
    pub regions: Option<Regions>,
    /// How the video's faces are found (the smallest face, `--min-eyes`):
    /// the live pipeline's default unless the run asks for another.
    pub detector: DetectorConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Truth(#[from] TruthError),
    #[error(transparent)]
    Cast(#[from] CastError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    FaceSet(#[from] faceset::FaceSetError),
    #[error(transparent)]
    Video(#[from] VideoError),
    #[error("{0}")]
    Watchlist(String),
}

/// Descriptors of the images needed, from the cache where it has them.
fn describe(
    files: &ModelFiles,
    images: &Path,
    wanted: &[ImageId],
    o: &RunOptions,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<HashMap<ImageId, Vec<f32>>, RunError> {
    let config = EngineConfig {
        detector: DetectorConfig::stills(),
        ..EngineConfig::default()
    };
    let mut out: HashMap<ImageId, Vec<f32>> = HashMap::new();
    if let Some(path) = &o.cache
        && path.exists()
    {
        let algorithm = files.algorithm(config.align)?;
        if let Some(set) = faceset::load(path, &algorithm)? {
            let want: std::collections::HashSet<&ImageId> = wanted.iter().collect();
            for d in set {
                if want.contains(&d.id)
                    && let Some(v) = d.vector
                {
                    out.insert(d.id, v);
                }
            }
        }
    }
    let jobs: Vec<(ImageId, PathBuf)> = wanted
        .iter()
        .filter(|id| !out.contains_key(*id))
        .map(|id| (id.clone(), id.path(images)))
        .collect();
    if !jobs.is_empty() {
        let total = jobs.len();
        let done = std::sync::atomic::AtomicUsize::new(0);
        let (_, described): (_, Vec<Described>) =
            faceset::describe_all(files, &config, &jobs, o.workers, &|n, _| {
                done.store(n, std::sync::atomic::Ordering::Relaxed);
            })?;
        progress("enrolling", total, total);
        for d in described {
            if let Some(v) = d.vector {
                out.insert(d.id, v);
            }
        }
    }
    Ok(out)
}

/// What the live analysis did, frame by frame: the observer of
/// [`CameraAnalysis::analyse`] that turns it into the run's record.
struct Seen<'a> {
    frame: u32,
    everyone: &'a Gallery,
    tracks: HashMap<u64, TrackRecord>,
    detections: Vec<Detection>,
    probes: Vec<Probe>,
}

impl Observer for Seen<'_> {
    fn detected(&mut self, track: &Track, face: &Face, gated: bool) {
        let frame = self.frame;
        let rec = self.tracks.entry(track.id).or_insert(TrackRecord {
            id: track.id,
            first_frame: frame,
            last_frame: frame,
            first_qualified: None,
        });
        rec.last_frame = frame;
        if gated && rec.first_qualified.is_none() {
            rec.first_qualified = Some(frame);
        }
        let b = face.bbox;
        self.detections.push(Detection {
            frame,
            track: track.id,
            face: [b.x, b.y, b.w, b.h],
            gated,
        });
    }

    fn searched(
        &mut self,
        track: &Track,
        face: &Face,
        probe: &Fused,
        candidates: &[Hit],
    ) -> Result<(), EngineError> {
        let all = self.everyone.top(probe, KEPT)?;
        let b = face.bbox;
        self.probes.push(Probe {
            frame: self.frame,
            track: track.id,
            face: [b.x, b.y, b.w, b.h],
            merit: merit(&face.quality),
            frames: track.probe.len() as u32,
            live: candidates
                .iter()
                .map(|h| (h.inclusion.0 as u32, h.score))
                .collect(),
            all: all
                .into_iter()
                .filter(|h| h.score >= FLOOR)
                .map(|h| (h.inclusion.0 as u32, h.score))
                .collect(),
        });
        Ok(())
    }
}

/// Runs the walk-through in `dir` (made by `build`), with LFW at `lfw`.
pub fn run(
    dir: &Path,
    lfw: &Path,
    o: &RunOptions,
    files: &ModelFiles,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<Record, RunError> {
    let truth = Truth::load(dir)?;
    let enrolment = Enrolment::load(dir)?;
    let images = lfw.join("images");
    let exclusions = Exclusions::lfw();
    let people = cast::evaluation_people(&images, &exclusions)?;
    let passers: Vec<&str> = truth.passes.iter().map(|p| p.person.as_str()).collect();
    let mut pool = cast::padding_pool(&people, &exclusions, &passers, truth.seed);
    let blue_count = enrolment.subjects.len();
    let pool_wanted = o
        .pool
        .unwrap_or(usize::MAX)
        .max(o.watchlist_size.saturating_sub(blue_count));
    pool.truncate(pool_wanted);

    let mut wanted: Vec<ImageId> = enrolment
        .subjects
        .iter()
        .flat_map(|s| {
            s.images.iter().map(|&n| ImageId {
                person: s.person.clone(),
                number: n,
            })
        })
        .collect();
    wanted.extend(pool.iter().cloned());
    // The photographs the Blue volunteers walk with, for the stills measure.
    let walked: Vec<(u32, ImageId)> = truth
        .passes
        .iter()
        .filter(|p| p.role == Role::Blue)
        .map(|p| {
            let id = ImageId {
                person: p.person.clone(),
                number: p.image,
            };
            (p.id, id)
        })
        .collect();
    wanted.extend(walked.iter().map(|(_, id)| id.clone()));
    progress("enrolling", 0, wanted.len());
    let vectors = describe(files, &images, &wanted, o, progress)?;

    // Subjects: Blue first, then padding; the watchlist of size N is the first N.
    let mut subjects: Vec<Subject> = Vec::new();
    let mut templates: Vec<Vec<&[f32]>> = Vec::new();
    let mut blue_not_enrolled = Vec::new();
    for s in &enrolment.subjects {
        let (imgs, vs): (Vec<u32>, Vec<&[f32]>) = s
            .images
            .iter()
            .filter_map(|&n| {
                let id = ImageId {
                    person: s.person.clone(),
                    number: n,
                };
                vectors.get(&id).map(|v| (n, v.as_slice()))
            })
            .unzip();
        if imgs.is_empty() {
            blue_not_enrolled.push(s.person.clone());
            continue;
        }
        subjects.push(Subject {
            person: s.person.clone(),
            role: SubjectRole::Blue,
            images: imgs,
        });
        templates.push(vs);
    }
    for id in &pool {
        if let Some(v) = vectors.get(id) {
            subjects.push(Subject {
                person: id.person.clone(),
                role: SubjectRole::Padding,
                images: vec![id.number],
            });
            templates.push(vec![v.as_slice()]);
        }
    }
    if subjects.len() < o.watchlist_size {
        return Err(RunError::Watchlist(format!(
            "only {} identities can be enrolled from LFW people N-Z who do not pass (Blue volunteers included); ask for --watchlist-size {} or less, or build the walk-through with fewer passes (each takes one identity)",
            subjects.len(),
            subjects.len()
        )));
    }

    let video_config = EngineConfig {
        detector: o.detector,
        ..EngineConfig::default()
    };
    let mut engines: Vec<Engine> = (0..o.workers.max(1))
        .map(|_| Engine::open(files, &video_config))
        .collect::<Result<_, _>>()?;
    let algorithm = engines[0].algorithm().clone();
    // The algorithm's own fused calibration: lfr's for dlib, a package's own.
    let matcher = Matcher::new(files.fusion_calibration(video_config.align)?);
    let algorithm_name = algorithm.as_str();
    // Every subject, fused exactly as the live gallery fuses them, for the
    // sweeps over watchlist sizes; the live gallery holds the first N.
    let entries: Vec<GalleryEntry> = templates
        .iter()
        .enumerate()
        .flat_map(|(si, vs)| {
            let category = match subjects[si].role {
                SubjectRole::Blue => Category::Volunteer,
                // Stand-ins for the subjects of an operational watchlist.
                SubjectRole::Padding => Category::WantedByCourts,
            };
            vs.iter().enumerate().map(move |(k, v)| GalleryEntry {
                inclusion: InclusionId(si as i64),
                image: DomainImageId((si * 1000 + k) as i64),
                category,
                template: StoredTemplate {
                    algorithm: algorithm_name.to_string(),
                    vector: v.to_vec(),
                },
            })
        })
        .collect();
    let live: Vec<GalleryEntry> = entries
        .iter()
        .filter(|e| (e.inclusion.0 as usize) < o.watchlist_size)
        .cloned()
        .collect();
    let gallery = Gallery::new(matcher.clone(), live).map_err(EngineError::from)?;
    let everyone = Gallery::new(matcher.clone(), entries).map_err(EngineError::from)?;
    let stills = stills(&walked, &subjects, &vectors, &everyone, &algorithm)?;
    drop(templates);
    drop(vectors);

    let config = AnalysisConfig {
        regions: o.regions,
        ..AnalysisConfig::default()
    };
    let recognition = Recognition {
        gallery: std::sync::Arc::new(gallery),
        threshold: Threshold::evaluation(o.threshold),
    };
    let mut analysis = CameraAnalysis::new(
        "walkthrough".into(),
        None,
        config,
        std::sync::Arc::new(Counters::default()),
    );
    let video = dir.join(&truth.video.file);
    let mut decoder = Decoder::open(&video.to_string_lossy(), &DecodeOptions::default())?;
    let fps = truth.video.fps as f64;
    let origin = Instant::now();
    let started = Instant::now();
    let mut seen = Seen {
        frame: 0,
        everyone: &everyone,
        tracks: HashMap::new(),
        detections: Vec::new(),
        probes: Vec::new(),
    };
    let mut frame_ms = Vec::new();
    let total = truth.video.frames as usize;
    loop {
        if o.regions.is_some() {
            // Where faces can be depends on the last frame's tracks.
            let Some(image) = decoder.next_frame()? else {
                break;
            };
            let at = origin + Duration::from_secs_f64(seen.frame as f64 / fps);
            let t = Instant::now();
            let faces = analysis.detect(&mut engines[0], &image, at)?;
            analysis.analyse(&mut engines[0], &image, at, &faces, &recognition, &mut seen)?;
            frame_ms.push(t.elapsed().as_secs_f32() * 1000.0);
            seen.frame += 1;
            progress("analysing", seen.frame as usize, total);
            continue;
        }
        // Detection on every worker at once, one frame each; the rest in frame order.
        let mut batch: Vec<RgbImage> = Vec::new();
        while batch.len() < engines.len() {
            match decoder.next_frame()? {
                Some(f) => batch.push(f),
                None => break,
            }
        }
        if batch.is_empty() {
            break;
        }
        let found: Vec<Result<(Vec<Face>, f32), EngineError>> = std::thread::scope(|s| {
            let handles: Vec<_> = engines
                .iter_mut()
                .zip(&batch)
                .map(|(e, img)| {
                    s.spawn(move || {
                        let t = Instant::now();
                        e.detect(img)
                            .map(|f| (f, t.elapsed().as_secs_f32() * 1000.0))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("detection thread"))
                .collect()
        });
        for (image, found) in batch.iter().zip(found) {
            let (faces, detect_ms) = found?;
            let t = Instant::now();
            let at = origin + Duration::from_secs_f64(seen.frame as f64 / fps);
            analysis.analyse(&mut engines[0], image, at, &faces, &recognition, &mut seen)?;
            frame_ms.push(detect_ms + t.elapsed().as_secs_f32() * 1000.0);
            seen.frame += 1;
            progress("analysing", seen.frame as usize, total);
        }
    }
    let described = analysis.counters().templates.load(Ordering::Relaxed);
    let Seen {
        frame: frame_no,
        tracks,
        detections,
        probes,
        ..
    } = seen;
    let mut tracks: Vec<TrackRecord> = tracks.into_values().collect();
    tracks.sort_by_key(|t| t.id);
    Ok(Record {
        format: RECORD_FORMAT.into(),
        frames_sha256: truth.video.frames_sha256.clone(),
        algorithm: algorithm.as_str().to_string(),
        calibration: matcher.calibration().source.clone(),
        threshold: o.threshold,
        watchlist_size: o.watchlist_size,
        subjects,
        blue_not_enrolled,
        floor: FLOOR,
        kept: KEPT,
        gate: config.gate,
        tracker: config.tracker,
        templates_per_track: config.templates_per_track,
        better_by: config.better_by,
        recheck_ms: config.recheck.as_millis() as u64,
        identity_break: config.identity_break,
        analysis: Analysis {
            frames: frame_no,
            frames_expected: truth.video.frames,
            workers: engines.len(),
            wall_seconds: started.elapsed().as_secs_f64(),
            frame_ms,
            detections: detections.len() as u64,
            templates: described,
        },
        tracks,
        detections,
        probes,
        stills,
    })
}

/// Each Blue pass's walk photograph, as a still, against the volunteer's
/// own enrolment, scored by the gallery that holds everyone ([`Still`]).
fn stills(
    walked: &[(u32, ImageId)],
    subjects: &[Subject],
    vectors: &HashMap<ImageId, Vec<f32>>,
    everyone: &Gallery,
    algorithm: &lfr_engine::template::Algorithm,
) -> Result<Vec<Still>, RunError> {
    let mut out = Vec::new();
    for (pass, id) in walked {
        let Some(si) = subjects
            .iter()
            .position(|s| s.role == SubjectRole::Blue && s.person == id.person)
        else {
            continue; // not enrolled
        };
        let score = match vectors.get(id) {
            None => None, // no face in the photograph
            Some(v) => {
                let walk = lfr_engine::template::Template::new(algorithm.clone(), v.clone());
                let probe = everyone
                    .matcher()
                    .probe(&[lfr_engine::fusion::Sample::new(&walk, 1.0)])
                    .map_err(EngineError::from)?;
                everyone
                    .top(&probe, everyone.subjects())
                    .map_err(EngineError::from)?
                    .into_iter()
                    .find(|h| h.inclusion.0 as usize == si)
                    .map(|h| h.score)
            }
        };
        out.push(Still { pass: *pass, score });
    }
    Ok(out)
}
