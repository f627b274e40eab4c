//! Measurements behind the detector's and the grading's defaults, printed for
//! the record. They take minutes, so they are ignored by default:
//! `cargo test -p lfr-engine --release --test detect_measure -- --ignored --nocapture --test-threads 1`.
//! Video frames come from `$LFR_VIDEO_FRAMES` (PNG files), e.g.
//! `ffmpeg -i shared/data/video/arcade-crowd-1080p.mp4 -vf "select='not(mod(n\,25))'" -vsync vfr DIR/f%02d.png`.

mod support;

use std::path::PathBuf;
use std::time::Instant;

use image::RgbImage;
use lfr_engine::detect::{Detector, DetectorConfig, Face, InputScale, Tiling, load_image};
use lfr_engine::geometry::Point;
use lfr_engine::runtime::OrtBackend;
use support::*;

fn detector_threads(config: DetectorConfig, threads: usize) -> Detector {
    let onnx = model_bytes(lfr_models::files::YUNET);
    let backend = OrtBackend::new(&model(lfr_models::files::ONNXRUNTIME), threads).unwrap();
    Detector::new(&backend, &onnx, config).unwrap_or_else(|e| panic!("{e}"))
}

/// User + system CPU time of this process, from /proc (Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 (utime, stime) are 11 and 12 after the command.
    (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0
}

fn detector(config: DetectorConfig) -> Detector {
    detector_threads(config, 1)
}

fn video_frames() -> Vec<RgbImage> {
    let dir = std::env::var_os("LFR_VIDEO_FRAMES")
        .map(PathBuf::from)
        .expect("set LFR_VIDEO_FRAMES to a folder of PNG frames of arcade-crowd-1080p.mp4");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no PNG frames in {}", dir.display());
    files.iter().map(|p| load_image(p).unwrap()).collect()
}

/// The first image of every `step`-th LFW person.
fn lfw_sample(step: usize) -> Vec<PathBuf> {
    let root = shared("data/lfw/images");
    let mut people: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    people.sort();
    people
        .iter()
        .step_by(step)
        .map(|d| {
            let mut f: Vec<_> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            f.sort();
            f[0].clone()
        })
        .collect()
}

fn centre_face(faces: &[Face], w: u32, h: u32) -> Option<&Face> {
    let c = Point::new(w as f32 / 2.0, h as f32 / 2.0);
    faces.iter().min_by(|a, b| {
        let d =
            |f: &Face| Point::new(f.bbox.x + f.bbox.w / 2.0, f.bbox.y + f.bbox.h / 2.0).distance(c);
        d(a).total_cmp(&d(b))
    })
}

/// Milliseconds per frame and faces found for each policy on the crowd video.
#[test]
#[ignore]
fn video_speed_and_faces_by_policy() {
    let frames = video_frames();
    let policies = [
        ("native", InputScale::Native, None),
        ("x0.75", InputScale::Factor(0.75), None),
        ("fit 20px (x0.5)", InputScale::FitMinFace, None),
        (
            "tiles 640/128",
            InputScale::Native,
            Some(Tiling {
                tile: 640,
                overlap: 128,
            }),
        ),
        (
            "x2 tiles 640/128",
            InputScale::Factor(2.0),
            Some(Tiling {
                tile: 640,
                overlap: 128,
            }),
        ),
    ];
    // Reference: every face the 2x tiled run finds, with 20+ px between the
    // eyes at that resolution.
    let mut reference = Vec::new();
    for threads in [1, 2] {
        for (name, scale, tiling) in policies {
            if threads == 2 && tiling.is_some() {
                continue;
            }
            let config = DetectorConfig {
                scale,
                tiling,
                ..DetectorConfig::default()
            };
            let mut det = detector_threads(config, threads);
            det.detect(&frames[0]).unwrap();
            let mut found: Vec<Vec<Face>> = Vec::new();
            let mut ms = f64::MAX;
            let cpu0 = cpu_seconds();
            let reps = if name.starts_with("x2") { 1 } else { 3 };
            for _ in 0..reps {
                let t = Instant::now();
                found = frames.iter().map(|f| det.detect(f).unwrap()).collect();
                ms = ms.min(t.elapsed().as_secs_f64() * 1000.0 / frames.len() as f64);
            }
            let cpu = (cpu_seconds() - cpu0) * 1000.0 / (reps * frames.len()) as f64;
            let n: usize = found.iter().map(|f| f.len()).sum();
            if name.starts_with("x2") {
                reference = found.clone();
            }
            eprintln!(
                "{threads} thread(s) {name:18} {ms:7.1} ms/frame (best of {reps}), {cpu:7.1} ms CPU/frame, {n} faces in {} frames",
                frames.len()
            );
            if threads == 1 && name.starts_with("fit") {
                let t = Instant::now();
                for _ in 0..20 {
                    for (img, faces) in frames.iter().zip(&found) {
                        for f in faces {
                            std::hint::black_box(lfr_engine::quality::measure(
                                img,
                                &f.landmarks,
                                f.score,
                            ));
                        }
                    }
                }
                let per = t.elapsed().as_secs_f64() * 1000.0 / (20 * n.max(1)) as f64;
                eprintln!("   quality measures: {per:.3} ms per face");
            }
        }
    }
    // Recall of each policy against the reference faces with >= 20 px eyes.
    for (name, scale, tiling) in policies {
        let mut det = detector(DetectorConfig {
            scale,
            tiling,
            ..DetectorConfig::default()
        });
        let (mut hit, mut total) = (0, 0);
        for (img, refs) in frames.iter().zip(&reference) {
            let got = det.detect(img).unwrap();
            for r in refs.iter().filter(|r| r.quality.inter_eye_px >= 20.0) {
                total += 1;
                if got.iter().any(|g| g.bbox.iou(&r.bbox) > 0.4) {
                    hit += 1;
                } else {
                    eprintln!(
                        "   missed: eyes {:.0} px, box {:.0} px, score {:.2} at 2x, yaw {:.0}",
                        r.quality.inter_eye_px, r.bbox.w, r.score, r.quality.pose.yaw
                    );
                }
            }
        }
        eprintln!("recall {name:18} {hit}/{total} reference faces with >= 20 px between the eyes");
    }
}

/// Recall and landmark error for LFW faces pasted into a 1080p frame with a
/// given distance between the eyes.
#[test]
#[ignore]
fn pasted_faces_recall_by_size_and_scale() {
    let mut still = detector(DetectorConfig::stills());
    let mut faces = Vec::new();
    for p in lfw_sample(20) {
        let img = load_image(&p).unwrap();
        let found = still.detect(&img).unwrap();
        if let Some(f) = centre_face(&found, 250, 250) {
            faces.push((img, f.landmarks));
        }
        if faces.len() == 96 {
            break;
        }
    }
    let bg = image::imageops::resize(
        &load_image(&shared("data/stills/multiface.jpg")).unwrap(),
        1920,
        1080,
        image::imageops::FilterType::Triangle,
    );
    for iod in [12.0f32, 16.0, 20.0, 24.0] {
        let mut frames = Vec::new();
        for chunk in faces.chunks(24) {
            frames.push(support_paste(&bg, chunk, iod));
        }
        for (name, scale) in [
            ("native", InputScale::Native),
            ("x0.75", InputScale::Factor(0.75)),
            ("x0.5", InputScale::Factor(0.5)),
        ] {
            let mut det = detector(DetectorConfig {
                scale,
                min_box_side: 8.0,
                ..DetectorConfig::default()
            });
            let (mut hit, mut n, mut err) = (0, 0, 0f32);
            for (frame, truth) in &frames {
                let got = det.detect(frame).unwrap();
                for t in truth {
                    n += 1;
                    let c = Point::new((t.0[0].x + t.0[1].x) / 2.0, (t.0[0].y + t.0[1].y) / 2.0);
                    if let Some(g) = got.iter().find(|g| {
                        let gc = Point::new(
                            (g.landmarks.0[0].x + g.landmarks.0[1].x) / 2.0,
                            (g.landmarks.0[0].y + g.landmarks.0[1].y) / 2.0,
                        );
                        gc.distance(c) < iod / 2.0
                    }) {
                        hit += 1;
                        err += g
                            .landmarks
                            .0
                            .iter()
                            .zip(t.0)
                            .map(|(a, b)| a.distance(b))
                            .sum::<f32>()
                            / 5.0;
                    }
                }
            }
            eprintln!(
                "iod {iod:3} {name:7}: {hit}/{n} found, mean landmark error {:.2} px",
                err / hit.max(1) as f32
            );
        }
    }
}

/// Pastes 250x250 LFW images scaled so their eyes are `iod` apart in a 6x4
/// grid; returns the frame and the true landmarks.
fn support_paste(
    bg: &RgbImage,
    faces: &[(RgbImage, lfr_engine::geometry::Landmarks5)],
    iod: f32,
) -> (RgbImage, Vec<lfr_engine::geometry::Landmarks5>) {
    let mut frame = bg.clone();
    let mut truth = Vec::new();
    for (j, (img, lm)) in faces.iter().enumerate() {
        let f = iod / lm.inter_eye_distance();
        let side = (250.0 * f).round().max(1.0) as u32;
        let small = image::imageops::resize(img, side, side, image::imageops::FilterType::Triangle);
        let (cx, cy) = ((j % 6) as i64 * 320 + 160, (j / 6) as i64 * 270 + 135);
        let (ox, oy) = (cx - side as i64 / 2, cy - side as i64 / 2);
        image::imageops::replace(&mut frame, &small, ox, oy);
        let k = side as f32 / 250.0;
        truth.push(lfr_engine::geometry::Landmarks5(
            lm.0.map(|p| Point::new(ox as f32 + p.x * k, oy as f32 + p.y * k)),
        ));
    }
    (frame, truth)
}

/// Distributions of the quality measures over LFW, the stills, and degraded
/// copies, for the grading thresholds; and the mean landmark layout for the
/// pose model.
#[test]
#[ignore]
fn quality_distributions() {
    let mut det = detector(DetectorConfig::stills());
    let mut rows: Vec<(String, lfr_engine::quality::Quality)> = Vec::new();
    let mut layout = [[0f64; 2]; 5];
    let mut n_layout = 0;
    for p in lfw_sample(5) {
        let img = load_image(&p).unwrap();
        let faces = det.detect(&img).unwrap();
        let Some(f) = centre_face(&faces, 250, 250) else {
            continue;
        };
        rows.push(("lfw".into(), f.quality));
        // Layout in units of the eye distance, eyes on the x axis.
        let lm = f.landmarks;
        let (l, r) = (lm.left_eye(), lm.right_eye());
        let d = l.distance(r) as f64;
        let (ux, uy) = (((r.x - l.x) as f64) / d, ((r.y - l.y) as f64) / d);
        let (mx, my) = (((l.x + r.x) / 2.0) as f64, ((l.y + r.y) / 2.0) as f64);
        for (k, p) in lm.0.iter().enumerate() {
            let (dx, dy) = (p.x as f64 - mx, p.y as f64 - my);
            layout[k][0] += (dx * ux + dy * uy) / d;
            layout[k][1] += (-dx * uy + dy * ux) / d;
        }
        n_layout += 1;
        for (tag, degraded) in [
            ("blur1", image::imageops::blur(&img, 1.0)),
            ("blur2", image::imageops::blur(&img, 2.0)),
            ("blur4", image::imageops::blur(&img, 4.0)),
            ("dark", image::imageops::colorops::brighten(&img, -90)),
        ] {
            let faces = det.detect(&degraded).unwrap();
            if let Some(f) = centre_face(&faces, 250, 250) {
                rows.push((tag.into(), f.quality));
            }
        }
    }
    eprintln!(
        "mean layout over {n_layout} LFW faces (x, y in eye distances from the eyes' midpoint):"
    );
    for (k, l) in layout.iter().enumerate() {
        eprintln!(
            "  point {k}: ({:+.3}, {:+.3})",
            l[0] / n_layout as f64,
            l[1] / n_layout as f64
        );
    }
    for p in ["data/stills/multiface.jpg"]
        .iter()
        .map(|s| shared(s))
        .chain(
            std::fs::read_dir(shared("data/stills/people"))
                .unwrap()
                .map(|e| e.unwrap().path().join("1.jpg")),
        )
        .chain(
            ["obama", "obama2", "obama3", "biden"]
                .iter()
                .map(|n| shared(&format!("data/dlib-reference/images/{n}.jpg"))),
        )
    {
        let img = load_image(&p).unwrap();
        for f in det.detect(&img).unwrap() {
            eprintln!("{:70} {:?}", p.display().to_string(), f.quality);
        }
    }
    let tags = ["lfw", "blur1", "blur2", "blur4", "dark"];
    type Get = fn(&lfr_engine::quality::Quality) -> f32;
    let measures: [(&str, Get); 11] = [
        ("iod", |q| q.inter_eye_px),
        ("score", |q| q.score),
        ("|yaw|", |q| q.pose.yaw.abs()),
        ("|pitch|", |q| q.pose.pitch.abs()),
        ("pitch", |q| q.pose.pitch),
        ("|roll|", |q| q.pose.roll.abs()),
        ("sharpness", |q| q.sharpness),
        ("brightness", |q| q.exposure.mean),
        ("clip bright", |q| q.exposure.clipped_bright),
        ("evenness", |q| q.exposure.evenness),
        ("mouth ratio", |q| q.mouth_ratio),
    ];
    for tag in tags {
        let qs: Vec<_> = rows
            .iter()
            .filter(|(t, _)| t == tag)
            .map(|(_, q)| *q)
            .collect();
        eprintln!(
            "{tag}: {} faces; percentiles 1 / 5 / 25 / 50 / 75 / 95 / 99",
            qs.len()
        );
        for (name, get) in measures {
            let mut v: Vec<f32> = qs.iter().map(get).collect();
            v.sort_by(f32::total_cmp);
            let pct = |p: f32| v[((v.len() - 1) as f32 * p).round() as usize];
            eprintln!(
                "  {name:12} {:8.3} {:8.3} {:8.3} {:8.3} {:8.3} {:8.3} {:8.3}",
                pct(0.01),
                pct(0.05),
                pct(0.25),
                pct(0.5),
                pct(0.75),
                pct(0.95),
                pct(0.99)
            );
        }
    }
    assert!(n_layout > 1000);
}

/// Draws the default detector's faces on the first video frame and on
/// multiface.jpg into `$LFR_DRAW_OUT` (a folder), to check by eye that what
/// passes the score threshold is a face.
#[test]
#[ignore]
fn draw_for_inspection() {
    let out = std::env::var_os("LFR_DRAW_OUT")
        .map(PathBuf::from)
        .expect("set LFR_DRAW_OUT to a folder");
    std::fs::create_dir_all(&out).unwrap();
    let mut det = detector(DetectorConfig {
        score_threshold: 0.5,
        ..DetectorConfig::default()
    });
    for (i, frame) in video_frames().iter().enumerate() {
        let mut img = frame.clone();
        let faces = det.detect(&img).unwrap();
        let scores: Vec<String> = faces.iter().map(|f| format!("{:.2}", f.score)).collect();
        eprintln!("frame {i}: {}", scores.join(" "));
        lfr_engine::draw::draw_faces(&mut img, &faces);
        img.save(out.join(format!("frame{i}.png"))).unwrap();
    }
    let mut img = load_image(&shared("data/stills/multiface.jpg")).unwrap();
    let faces = detector(DetectorConfig::stills()).detect(&img).unwrap();
    lfr_engine::draw::draw_faces(&mut img, &faces);
    img.save(out.join("multiface.png")).unwrap();
    assert!(!faces.is_empty());
}

/// Draws the stills detector's faces on every portrait in `stills/people`
/// into `$LFR_DRAW_OUT`, with their grades printed.
#[test]
#[ignore]
fn draw_portraits() {
    let out = std::env::var_os("LFR_DRAW_OUT")
        .map(PathBuf::from)
        .expect("set LFR_DRAW_OUT to a folder");
    std::fs::create_dir_all(&out).unwrap();
    let mut det = detector(DetectorConfig::stills());
    for dir in std::fs::read_dir(shared("data/stills/people")).unwrap() {
        let dir = dir.unwrap().path();
        let mut img = load_image(&dir.join("1.jpg")).unwrap();
        let faces = det.detect(&img).unwrap();
        let g = lfr_engine::quality::grade_reference(&img, &faces);
        eprintln!("{}: {:?}", dir.display(), g);
        for f in &faces {
            eprintln!(
                "   score {:.2} box {:?} eyes {:.0}",
                f.score, f.bbox, f.quality.inter_eye_px
            );
        }
        lfr_engine::draw::draw_faces(&mut img, &faces);
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        img.save(out.join(format!("{name}.png"))).unwrap();
        assert!(!faces.is_empty());
    }
}

/// Wall-clock time per 1080p frame for the whole-frame policies, with one and
/// two ONNX Runtime threads (best of five passes over the frames).
#[test]
#[ignore]
fn video_timing_by_threads() {
    let frames = video_frames();
    for threads in [1, 2] {
        for (name, scale) in [
            ("native", InputScale::Native),
            ("default (x0.75)", InputScale::FitMinFace),
            ("x0.5", InputScale::Factor(0.5)),
        ] {
            let config = DetectorConfig {
                scale,
                ..DetectorConfig::default()
            };
            let mut det = detector_threads(config, threads);
            det.detect(&frames[0]).unwrap();
            let mut best = f64::MAX;
            let mut faces = 0;
            for _ in 0..5 {
                let t = Instant::now();
                faces = frames
                    .iter()
                    .map(|f| det.detect(f).unwrap().len())
                    .sum::<usize>();
                best = best.min(t.elapsed().as_secs_f64() * 1000.0 / frames.len() as f64);
            }
            eprintln!("{threads} thread(s) {name:16} {best:6.1} ms/frame ({faces} faces)");
            assert!(faces > 0);
        }
    }
}
