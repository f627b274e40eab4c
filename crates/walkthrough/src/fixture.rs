//! A hand-made truth and run record for the scoring tests: four passes
//! (two Blue, two public), four subjects (two Blue, two padding) and a
//! false detection, with scores chosen so each definition has a case.

use crate::record::{Analysis, Detection, Probe, Record, Still, Subject, SubjectRole, TrackRecord};
use crate::truth::{Conditions, Crowd, Params, Pass, Role, Sample, Truth, Video};

fn pass(id: u32, person: &str, role: Role, frame: u32, x: f32) -> Pass {
    Pass {
        id,
        person: person.into(),
        image: 1,
        role,
        group: id,
        first_frame: frame,
        last_frame: frame + 1,
        conditions: Conditions {
            gain: 1.0,
            focus_blur_px: 0.0,
            exposure_ms: 10.0,
            iod_from: 15.0,
            iod_to: 70.0,
            turn: None,
            occluded: None,
        },
        samples: (frame..=frame + 1)
            .map(|f| Sample {
                frame: f,
                eyes: [x + 10.0, 110.0, x + 30.0, 110.0],
                face: [x, 100.0, 40.0, 50.0],
                iod: 20.0,
                yaw: 0.0,
                roll: 0.0,
                in_view: true,
                occluded: false,
            })
            .collect(),
    }
}

pub fn truth() -> Truth {
    Truth {
        format: crate::truth::TRUTH_FORMAT.into(),
        seed: 1,
        requested: Params {
            passes: 4,
            blue: 2,
            density: 1.0,
            enrol_images: 1,
            width: 640,
            height: 360,
            fps: 10,
            without: Default::default(),
        },
        crowd: Crowd {
            mean_in_view: 1.0,
            max_in_view: 1,
            people_per_minute: 10.0,
            passes_in_groups: 0,
        },
        video: Video {
            file: "v.mp4".into(),
            width: 640,
            height: 360,
            fps: 10,
            frames: 10,
            codec: "h264".into(),
            frames_sha256: "x".into(),
        },
        face_set: "test".into(),
        passes: vec![
            pass(0, "B_One", Role::Blue, 0, 0.0),
            pass(1, "B_Two", Role::Blue, 2, 100.0),
            pass(2, "P_One", Role::Public, 4, 200.0),
            pass(3, "P_Two", Role::Public, 6, 300.0),
        ],
    }
}

fn probe(frame: u32, track: u64, x: f32, all: &[(u32, f64)]) -> Probe {
    Probe {
        frame,
        track,
        face: [x + 2.0, 101.0, 38.0, 48.0],
        merit: 0.5,
        frames: 1,
        live: all
            .iter()
            .copied()
            .filter(|(s, _)| *s < 4)
            .take(3)
            .collect(),
        all: all.to_vec(),
    }
}

pub fn record() -> Record {
    let subject = |p: &str, role| Subject {
        person: p.into(),
        role,
        images: vec![2],
    };
    let probes = vec![
        probe(0, 1, 0.0, &[(0, 0.70), (2, 0.30)]),
        probe(1, 1, 0.0, &[(0, 0.75)]),
        probe(2, 2, 100.0, &[(3, 0.62), (1, 0.58)]),
        probe(4, 3, 200.0, &[(2, 0.66)]),
        probe(5, 3, 200.0, &[(2, 0.68)]),
        probe(6, 4, 300.0, &[(1, 0.40)]),
        // A false detection where nobody walks.
        probe(8, 5, 500.0, &[(3, 0.57)]),
    ];
    let detections = probes
        .iter()
        .map(|p| Detection {
            frame: p.frame,
            track: p.track,
            face: p.face,
            gated: true,
        })
        .collect();
    Record {
        format: crate::record::RECORD_FORMAT.into(),
        frames_sha256: "x".into(),
        algorithm: "a/b/c".into(),
        calibration: "test".into(),
        threshold: 0.64,
        watchlist_size: 4,
        subjects: vec![
            subject("B_One", SubjectRole::Blue),
            subject("B_Two", SubjectRole::Blue),
            subject("Pad_A", SubjectRole::Padding),
            subject("Pad_B", SubjectRole::Padding),
        ],
        blue_not_enrolled: vec![],
        floor: 0.25,
        kept: 128,
        gate: Default::default(),
        tracker: Default::default(),
        templates_per_track: 4,
        better_by: 1.25,
        recheck_ms: 1000,
        identity_break: 0.2,
        analysis: Analysis {
            frames: 10,
            frames_expected: 10,
            workers: 1,
            wall_seconds: 1.0,
            frame_ms: vec![100.0; 10],
            detections: 7,
            templates: 7,
        },
        tracks: (1..=5)
            .map(|id| TrackRecord {
                id,
                first_frame: 0,
                last_frame: 9,
                first_qualified: Some(if id == 1 { 0 } else { 2 * (id as u32 - 1) }),
            })
            .collect(),
        detections,
        probes,
        // B_One's walk photograph matches as a still, B_Two's does not,
        // and one gave no face.
        stills: vec![
            Still {
                pass: 0,
                score: Some(0.81),
            },
            Still {
                pass: 1,
                score: Some(0.52),
            },
            Still {
                pass: 2,
                score: None,
            },
        ],
    }
}
