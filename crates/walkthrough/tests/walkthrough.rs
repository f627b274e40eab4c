//! A tiny walk-through built from the shared LFW, run through the live
//! pipeline's parts and scored: the truth file, reproducibility, and
//! figures that agree with each other.

mod common;

use lfr_walkthrough::build::{BuildOptions, build};
use lfr_walkthrough::equity::Labels;
use lfr_walkthrough::report::report;
use lfr_walkthrough::run::{RunOptions, run};
use lfr_walkthrough::truth::{
    ENROLMENT_FILE, Effect, Enrolment, Params, Role, TRUTH_FILE, Truth, VIDEO_FILE,
};

fn options() -> BuildOptions {
    BuildOptions {
        seed: 7,
        scene: Params {
            passes: 6,
            blue: 2,
            density: 2.0,
            enrol_images: 1,
            width: 640,
            height: 360,
            fps: 8,
            without: Default::default(),
        },
        ..BuildOptions::default()
    }
}

#[test]
fn tiny_walkthrough_is_reproducible_and_scores_consistently() {
    let (lfw, models) = (common::lfw(), common::models());
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let truth = build(&lfw, &a, &options(), &models, &mut |_, _, _| {}).unwrap();

    // The truth file: who passes, when, where.
    assert_eq!(truth, Truth::load(&a).unwrap());
    assert_eq!(truth.passes.len(), 6);
    assert_eq!(truth.blue_passes(), 2);
    for p in &truth.passes {
        assert!(
            p.person.as_bytes()[0] >= b'N',
            "{} is not in the evaluation half",
            p.person
        );
        assert!(lfw.join("images").join(&p.person).is_dir());
        assert_eq!(p.samples.len() as u32, p.last_frame - p.first_frame + 1);
        assert!(p.last_frame < truth.video.frames);
        assert!(p.samples[0].iod < 20.0 && p.samples.last().unwrap().iod > 55.0);
    }
    let enrolment = Enrolment::load(&a).unwrap();
    assert_eq!(enrolment.subjects.len(), 2);
    for s in &enrolment.subjects {
        let walk = truth.passes.iter().find(|p| p.person == s.person).unwrap();
        assert_eq!(walk.role, Role::Blue);
        assert!(
            !s.images.is_empty() && !s.images.contains(&walk.image),
            "enrolled from other images"
        );
    }

    // The same seed gives the same truth, frames and file.
    build(&lfw, &b, &options(), &models, &mut |_, _, _| {}).unwrap();
    let read = |d: &std::path::Path, f: &str| std::fs::read(d.join(f)).unwrap();
    assert!(
        read(&a, TRUTH_FILE) == read(&b, TRUTH_FILE),
        "truth differs between two builds of one seed"
    );
    assert!(read(&a, ENROLMENT_FILE) == read(&b, ENROLMENT_FILE));
    assert!(
        read(&a, VIDEO_FILE) == read(&b, VIDEO_FILE),
        "video differs between two builds of one seed"
    );

    // Left out for a diagnosis, an effect changes the frames and what the
    // truth says was done, nothing else: without everything but pose the
    // faces are where they were; without pose too, they face the camera.
    let build_without = |name: &str, without: &[Effect]| {
        let (mut o, out) = (options(), dir.path().join(name));
        o.scene.without = without.iter().copied().collect();
        let built = build(&lfw, &out, &o, &models, &mut |_, _, _| {}).unwrap();
        assert_eq!(
            Truth::load(&out).unwrap().requested.without,
            o.scene.without
        );
        built
    };
    let mut left_out = vec![
        Effect::Defocus,
        Effect::MotionBlur,
        Effect::Noise,
        Effect::Lighting,
    ];
    let posed = build_without("c", &left_out);
    assert_ne!(posed.video.frames_sha256, truth.video.frames_sha256);
    for (p, q) in truth.passes.iter().zip(&posed.passes) {
        assert_eq!(p.samples, q.samples);
        let c = &q.conditions;
        assert_eq!((c.gain, c.focus_blur_px, c.exposure_ms), (1.0, 0.0, 0.0));
        assert_eq!(c.turn, p.conditions.turn);
    }
    left_out.push(Effect::Pose);
    let bare = build_without("d", &left_out);
    assert!(
        truth
            .passes
            .iter()
            .any(|p| p.samples.iter().any(|s| s.yaw.abs() > 5.0))
    );
    for q in &bare.passes {
        assert!(q.conditions.turn.is_none());
        assert!(
            q.samples
                .iter()
                .all(|s| s.yaw == 0.0 && s.roll.abs() <= 2.0)
        );
    }

    // Run it: Blue Watchlist padded to 12.
    let o = RunOptions {
        threshold: 0.64,
        watchlist_size: 12,
        pool: Some(16),
        workers: 1,
        cache: None,
        regions: None,
        detector: lfr_engine::detect::DetectorConfig::default(),
    };
    let record = run(&a, &lfw, &o, &models, &mut |_, _, _| {}).unwrap();
    assert_eq!(
        record.analysis.frames, truth.video.frames,
        "every frame analysed"
    );
    assert!(record.subjects.len() >= 12);
    let labels = Labels::parse(
        &truth
            .passes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    "{}\tsynthetic\t{}\n",
                    p.person,
                    if i % 2 == 0 { "even" } else { "odd" }
                )
            })
            .collect::<String>(),
    )
    .unwrap();
    let r = report(&truth, &record, Some(&labels));
    assert_eq!(
        r.live_replay_disagreements, 0,
        "the sweep replays the live gallery's decisions"
    );
    let f = &r.figures;
    assert_eq!(
        (f.true_recognition_rate.n, f.false_alert_rate_by_person.n),
        (2, 4)
    );
    assert!(
        f.passes_scanned >= 4,
        "the detector finds most simulated passers: {}",
        f.passes_scanned
    );
    assert!(f.faces_scanned >= f.passes_scanned.min(1));
    assert_eq!(
        f.false_alerts,
        f.false_alerts_on_public + f.false_alerts_on_blue + f.false_alerts_on_nobody
    );
    assert_eq!(r.speed.dropped_frames, 0);
    // Each Blue pass's walk photograph as a still: both volunteers are
    // enrolled, and their LFW photographs hold faces.
    let blue: Vec<u32> = truth
        .passes
        .iter()
        .filter(|p| p.role == lfr_walkthrough::truth::Role::Blue)
        .map(|p| p.id)
        .collect();
    assert_eq!(
        record.stills.iter().map(|s| s.pass).collect::<Vec<_>>(),
        blue
    );
    assert!(
        record
            .stills
            .iter()
            .all(|s| s.score.is_some_and(|x| (0.0..=1.0).contains(&x)))
    );
    let stills = r.stills.as_ref().expect("measured");
    assert_eq!((stills.reach.n, stills.no_face), (2, 0));
    // The sweep: rates fall as the threshold rises; sizes beyond the enrolled set are extrapolated.
    for n in [12, 1_000, 10_000] {
        let rows: Vec<_> = r.sweep.iter().filter(|x| x.watchlist_size == n).collect();
        assert_eq!(rows.len(), 8);
        assert_eq!(rows[0].extrapolated, n > record.subjects.len());
        assert!(
            rows.windows(2)
                .all(|w| w[1].tpir <= w[0].tpir && w[1].fpir <= w[0].fpir + 1e-12)
        );
    }
    let at = r
        .sweep
        .iter()
        .find(|x| x.watchlist_size == 12 && (x.threshold - 0.64).abs() < 1e-9)
        .unwrap();
    assert_eq!(at.tpir, f.true_recognition_rate.rate);
    let z = &r.zero_false_alerts;
    let at_zero = lfr_walkthrough::score::figures(
        &truth,
        &record,
        &lfr_walkthrough::score::attribute(&truth, &record),
        12,
        z.threshold,
    );
    assert_eq!(at_zero.false_alerts, 0);
    // By group: every labelled pass in one group, and a statement.
    let eq = r.equitability.as_ref().unwrap();
    let g = &eq[0].thresholds[0].groups;
    assert_eq!(
        g.iter()
            .map(|x| x.blue_passes + x.public_passes)
            .sum::<u64>(),
        6
    );
    assert!(!eq[0].statements.is_empty());
    let html = lfr_walkthrough::html::page(&r);
    assert!(html.contains("<svg") && html.contains("True Recognition Rate"));
    // Recognition and false alert rates on axes of their own scale.
    assert_eq!(html.matches("by threshold</text>").count(), 2, "{html}");
    let json = serde_json::to_string(&r).unwrap();
    let back: lfr_walkthrough::report::Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back.figures, r.figures);
}
