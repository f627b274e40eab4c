//! `lfr eval walkthrough build`: cast, choreograph, render, encode, and
//! write the truth beside the video.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lfr_engine::detect::DetectorConfig;
use lfr_engine::geometry::Point;
use lfr_engine::pipeline::{Engine, EngineConfig, EngineError, ModelFiles, subject_face};
use lfr_eval::exclusions::Exclusions;
use lfr_eval::lfw::ImageId;
use sha2::{Digest, Sha256};

use crate::cast::{self, Cast, CastError, Eyes, Walker};
use crate::encode::{EncodeError, Encoder};
use crate::render::{Look, Scene, Sprite};
use crate::rng::Rng;
use crate::script::{self, Plan};
use crate::truth::{
    Conditions, Crowd, ENROLMENT_FILE, Effect, EnrolledSubject, Enrolment, Params, Pass, Role,
    Sample, TRUTH_FILE, TRUTH_FORMAT, Truth, VIDEO_FILE, Video,
};

pub const ENROLMENT_FORMAT: &str = "lfr-walkthrough-enrolment/1";

/// What to build: the scene asked for (recorded in the truth as it is),
/// the seed, and the encoder's quality.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub seed: u64,
    pub scene: Params,
    pub crf: u8,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            scene: Params {
                passes: 500,
                blue: 100,
                density: 2.5,
                enrol_images: 1,
                width: 1280,
                height: 720,
                fps: 10,
                without: Default::default(),
            },
            crf: 26,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Options(String),
    #[error(transparent)]
    Cast(#[from] CastError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Encode(#[from] EncodeError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the photograph {path}: {reason}")]
    Photo { path: PathBuf, reason: String },
}

/// Where the subject's eyes are in an LFW photograph, found by the engine's
/// detector (rounded to a quarter pixel, so that the frames do not hang on
/// the last bits of a float).
struct EyeFinder {
    engine: Engine,
    images: PathBuf,
    seen: HashMap<ImageId, Option<Eyes>>,
}

impl EyeFinder {
    fn eyes(&mut self, id: &ImageId) -> Option<Eyes> {
        if let Some(e) = self.seen.get(id) {
            return *e;
        }
        let found = lfr_engine::detect::load_image(&id.path(&self.images))
            .ok()
            .and_then(|img| {
                let faces = self.engine.detect(&img).ok()?;
                let f = subject_face(&img, &faces)?;
                let q = |p: Point| Point::new((p.x * 4.0).round() / 4.0, (p.y * 4.0).round() / 4.0);
                (f.quality.inter_eye_px >= 20.0)
                    .then(|| (q(f.landmarks.left_eye()), q(f.landmarks.right_eye())))
            });
        self.seen.insert(id.clone(), found);
        found
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    std::fs::write(path, bytes).map_err(|source| BuildError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Builds the walk-through in `out` from the LFW folder `lfw` (holding `images/`).
pub fn build(
    lfw: &Path,
    out: &Path,
    o: &BuildOptions,
    files: &ModelFiles,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<Truth, BuildError> {
    if o.scene.blue > o.scene.passes || o.scene.passes == 0 {
        return Err(BuildError::Options(format!(
            "--blue {} must be at most --passes {} (and passes at least 1)",
            o.scene.blue, o.scene.passes
        )));
    }
    if o.scene.width < 320
        || o.scene.height < 240
        || !o.scene.width.is_multiple_of(2)
        || !o.scene.height.is_multiple_of(2)
        || o.scene.fps == 0
    {
        return Err(BuildError::Options(
            "the frame must be at least 320x240 with even sides, and fps at least 1".into(),
        ));
    }
    if !(o.scene.density > 0.0 && o.scene.density <= 20.0) {
        return Err(BuildError::Options(
            "--density must be above 0 and at most 20 people in view".into(),
        ));
    }
    std::fs::create_dir_all(out).map_err(|source| BuildError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    let images = lfw.join("images");
    let exclusions = Exclusions::lfw();
    let people = cast::evaluation_people(&images, &exclusions)?;
    let mut finder = EyeFinder {
        engine: Engine::open(
            files,
            &EngineConfig {
                detector: DetectorConfig::stills(),
                ..EngineConfig::default()
            },
        )?,
        images: images.clone(),
        seen: HashMap::new(),
    };
    let rng = Rng::new(o.seed);
    progress("casting", 0, 1);
    let cast = cast::choose(
        &people,
        &exclusions,
        &rng,
        o.scene.blue as usize,
        (o.scene.passes - o.scene.blue) as usize,
        o.scene.enrol_images as usize,
        &mut |id| finder.eyes(id),
    )?;
    progress("casting", 1, 1);
    let mut plans = script::plan(o.seed, o.scene.passes, o.scene.blue, o.scene.density);
    for p in &mut plans {
        p.leave_out(&o.scene.without);
    }
    let walker = |p: &Plan| -> &Walker {
        match p.role {
            Role::Blue => &cast.blue[p.walker],
            Role::Public => &cast.public[p.walker],
        }
    };
    let fps = o.scene.fps as f64;
    let frames = plans.iter().map(|p| p.last_frame(fps)).max().unwrap_or(0) + 1 + o.scene.fps / 2;
    let scene = Scene::new(o.scene.width, o.scene.height, &rng, frames as f64 / fps);
    let mut noise = rng.fork(30);
    let sensor_noise = !o.scene.without.contains(&Effect::Noise);
    let mut encoder = Encoder::start(
        &out.join(VIDEO_FILE),
        o.scene.width,
        o.scene.height,
        o.scene.fps,
        o.crf,
    )?;
    let mut hash = Sha256::new();
    let mut sprites: HashMap<u32, Sprite> = HashMap::new();
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); plans.len()];
    let (mut in_view_total, mut max_in_view) = (0u64, 0u32);
    for f in 0..frames {
        let t = f as f64 / fps;
        let mut frame = scene.background.clone();
        let mut active: Vec<(&Plan, script::Moment)> = plans
            .iter()
            .filter(|p| p.first_frame(fps) <= f && f <= p.last_frame(fps))
            .map(|p| (p, p.moment(t, o.scene.width as f64, o.scene.height as f64)))
            .collect();
        active.sort_by(|a, b| {
            a.1.pose
                .iod
                .total_cmp(&b.1.pose.iod)
                .then(a.0.id.cmp(&b.0.id))
        });
        let mut in_view = 0;
        for (p, m) in &active {
            if let std::collections::hash_map::Entry::Vacant(slot) = sprites.entry(p.id) {
                let w = walker(p);
                let path = ImageId {
                    person: w.person.clone(),
                    number: w.image,
                }
                .path(&images);
                let photo =
                    lfr_engine::detect::load_image(&path).map_err(|e| BuildError::Photo {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                slot.insert(Sprite::new(&photo, w.eyes));
            }
            scene.draw(
                &mut frame,
                &Look {
                    sprite: &sprites[&p.id],
                    moment: *m,
                    gain: p.gain,
                    tint: p.tint,
                    focus_blur: p.focus_blur,
                    clothes: p.clothes,
                    occluder: p.occluder,
                },
            );
            let [l, r] = m.pose.eyes();
            let face = m.pose.face_box();
            let inside = face[0] >= 0.0
                && face[1] >= 0.0
                && face[0] + face[2] <= o.scene.width as f32
                && face[1] + face[3] <= o.scene.height as f32;
            in_view += inside as u32;
            let r1 = |x: f32| (x * 10.0).round() / 10.0;
            samples[p.id as usize].push(Sample {
                frame: f,
                eyes: [l.0, l.1, r.0, r.1].map(r1),
                face: face.map(r1),
                iod: r1(m.pose.iod),
                yaw: r1(m.pose.yaw.to_degrees()),
                roll: r1(m.pose.roll.to_degrees()),
                in_view: inside,
                occluded: m.occluded,
            });
        }
        for p in &plans {
            if p.last_frame(fps) == f {
                sprites.remove(&p.id);
            }
        }
        in_view_total += in_view as u64;
        max_in_view = max_in_view.max(in_view);
        scene.finish(&mut frame, t, sensor_noise.then_some(&mut noise));
        hash.update(frame.as_raw());
        encoder.write(&frame)?;
        progress("rendering", f as usize + 1, frames as usize);
    }
    encoder.finish()?;

    let seconds = frames as f64 / fps;
    let group_sizes = plans.iter().fold(HashMap::<u32, u32>::new(), |mut m, p| {
        *m.entry(p.group).or_default() += 1;
        m
    });
    let passes: Vec<Pass> = plans
        .iter()
        .zip(samples)
        .map(|(p, samples)| {
            let w = walker(p);
            Pass {
                id: p.id,
                person: w.person.clone(),
                image: w.image,
                role: p.role,
                group: p.group,
                first_frame: p.first_frame(fps),
                last_frame: p.last_frame(fps),
                conditions: Conditions {
                    gain: p.gain,
                    focus_blur_px: p.focus_blur,
                    exposure_ms: p.exposure,
                    iod_from: (p.iod_from * 10.0).round() as f32 / 10.0,
                    iod_to: (p.iod_to * 10.0).round() as f32 / 10.0,
                    turn: p.turn_frames(fps),
                    occluded: p.occlusion_frames(fps),
                },
                samples,
            }
        })
        .collect();
    let truth = Truth {
        format: TRUTH_FORMAT.into(),
        seed: o.seed,
        requested: o.scene.clone(),
        crowd: Crowd {
            mean_in_view: in_view_total as f64 / frames.max(1) as f64,
            max_in_view,
            people_per_minute: o.scene.passes as f64 / seconds * 60.0,
            passes_in_groups: plans.iter().filter(|p| group_sizes[&p.group] > 1).count() as u32,
        },
        video: Video {
            file: VIDEO_FILE.into(),
            width: o.scene.width,
            height: o.scene.height,
            fps: o.scene.fps,
            frames,
            codec: "h264".into(),
            frames_sha256: hex::encode(hash.finalize()),
        },
        face_set: "LFW people N-Z (images/<person>/<person>_<NNNN>.jpg)".into(),
        passes,
    };
    let enrolment = enrolment_of(&cast);
    write(
        &out.join(TRUTH_FILE),
        &serde_json::to_vec(&truth).expect("truth serialises"),
    )?;
    write(
        &out.join(ENROLMENT_FILE),
        &serde_json::to_vec_pretty(&enrolment).expect("enrolment serialises"),
    )?;
    Ok(truth)
}

fn enrolment_of(cast: &Cast) -> Enrolment {
    Enrolment {
        format: ENROLMENT_FORMAT.into(),
        subjects: cast
            .blue
            .iter()
            .map(|w| EnrolledSubject {
                person: w.person.clone(),
                images: w.enrol.clone(),
            })
            .collect(),
    }
}
