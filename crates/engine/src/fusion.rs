//! Several pictures on each side: a subject's reference images against the
//! best frames of a track, with a Similarity Score calibrated *as fused*.
//!
//! # The rule
//! 1. A track keeps at most [`MAX_FRAMES`] probe frames, the best by the
//!    quality the caller gives (the engine's face quality of each frame),
//!    and they are averaged with equal weights: the mean descriptor is a
//!    better estimate of the face than any one frame. Quality chooses the
//!    frames but does not weight them, because the calibration was
//!    measured on equal-weight means.
//! 2. A subject keeps at most [`MAX_REFERENCES`] reference images, the best
//!    by quality, each compared on its own with the fused probe.
//! 3. Each distance is normalised against the impostor cohort
//!    ([`crate::normalise`]) and becomes a score through the curve fitted
//!    for one reference against `m` frames: a score `s` means that one
//!    image of a person and a probe of `m` images of another person reach
//!    `s` or more with probability `10^(-10 s)` on the calibration set (LFW
//!    people A-M).
//! 4. The subject's score is its best reference's, lowered by
//!    `log10(k) / 10` for `k` references. By the union bound the chance
//!    that any of `k` comparisons reaches `s + log10(k) / 10` is at most `k`
//!    times `10^(-10 s) / k`: the score keeps its meaning, with no
//!    assumption about how a person's photographs resemble each other.
//!
//! Why not average the references as well: that statistic has a false
//! match rate of its own for each `k`, and LFW has too few people with many
//! photographs to measure it at the strict end. Fitted on people A-M, the
//! averaged curves for 3 and 4 references promised rates that people N-Z
//! broke (two sisters' averaged photographs match as one person's); the
//! one-reference curves rest on every A-M photograph and hold.
//!
//! # Use in the live pipeline
//! ```ignore
//! // When the deployment's watchlist is loaded: one reference set per subject.
//! let mut gallery = FusedWatchlist::new(Matcher::shipped(engine.algorithm())?);
//! gallery.add_subject(inclusion_id, &[(image_id, &template, quality), ...])?;
//! // For each track: keep its best frames (templates are zeroed when dropped).
//! let mut track = TrackProbe::default();
//! if track.offer(template, quality) { // kept among the best MAX_FRAMES
//!     let probe = gallery.matcher().probe_track(&track)?;
//!     for c in gallery.search(&probe, 3)? { if c.score >= threshold { /* alert */ } }
//! }
//! ```
//! (`FusedWatchlist` lives in [`crate::search`].) A [`Fused`] template holds
//! its cohort statistics, so comparing a probe with every watchlist subject
//! costs one distance per reference image.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::calibration::{Calibration, CalibrationError};
use crate::normalise::{Cohort, CohortStats};
use crate::template::{Algorithm, Template, TemplateError, euclidean};

/// Reference templates of one subject that fusion uses, at most.
pub const MAX_REFERENCES: usize = 4;
/// Probe frames of one track that fusion uses, at most.
pub const MAX_FRAMES: usize = 4;

/// One picture offered to fusion: its template and its quality (higher is
/// better; only the order matters).
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    pub template: &'a Template,
    pub quality: f32,
}

impl<'a> Sample<'a> {
    pub fn new(template: &'a Template, quality: f32) -> Self {
        Self { template, quality }
    }
}

/// The fused template of one side: the mean of its kept pictures and that
/// mean's cohort neighbourhood. Zeroed when dropped, like [`Template`].
#[derive(Clone)]
pub struct Fused {
    algorithm: Algorithm,
    vector: Vec<f32>,
    count: usize,
    stats: CohortStats,
}

impl Fused {
    /// Pictures averaged into this template.
    pub fn count(&self) -> usize {
        self.count
    }

    pub fn algorithm(&self) -> &Algorithm {
        &self.algorithm
    }
}

impl std::fmt::Debug for Fused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fused({}, {} pictures)", self.algorithm, self.count)
    }
}

impl Drop for Fused {
    fn drop(&mut self) {
        self.vector.zeroize();
    }
}

/// The outcome of one fused comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FusedMatch {
    /// Calibrated Similarity Score in [0, 1].
    pub score: f64,
    /// Whether the score lies beyond the calibration data (extrapolated).
    pub extrapolated: bool,
    /// References compared and frames fused.
    pub references: usize,
    pub frames: usize,
    /// Which reference (in the order kept, best quality first) came closest.
    pub best: usize,
}

/// A subject's reference images as fusion compares them: the best
/// [`MAX_REFERENCES`] by quality, each with its cohort neighbourhood.
/// Zeroed when dropped, like [`Template`].
#[derive(Clone)]
pub struct Reference {
    pictures: Vec<Fused>,
}

impl Reference {
    /// Images kept.
    pub fn count(&self) -> usize {
        self.pictures.len()
    }
}

impl std::fmt::Debug for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reference({} pictures)", self.pictures.len())
    }
}

/// How much a subject of `k` reference images lowers its best score: the
/// union bound's `log10(k) / 10`.
pub fn references_penalty(k: usize) -> f64 {
    (k.max(1) as f64).log10() / 10.0
}

#[derive(Debug, thiserror::Error)]
pub enum FusionError {
    #[error("nothing to fuse: give at least one template")]
    Empty,
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Calibration(#[from] CalibrationError),
    #[error(
        "no fused calibration for {references} reference(s) and {frames} frame(s); recompute with `lfr calibrate`"
    )]
    NoCurve { references: usize, frames: usize },
    #[error("subject {0} is already in the watchlist: give all its images at once")]
    Duplicate(u64),
}

/// The score curve for subjects of `references` images against probes of `frames` images.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FusedCurve {
    pub references: usize,
    pub frames: usize,
    /// Distinct (subject, probe person) pairs behind the comparisons: the
    /// comparisons reuse people, so this bounds how independent the tail is.
    pub subject_pairs: u64,
    /// Maps the normalised statistic to the score (its "distance" is the statistic).
    pub calibration: Calibration,
}

/// Everything fused scoring needs for one algorithm: the cohort and one
/// curve per (references, frames).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FusionCalibration {
    pub algorithm: Algorithm,
    pub source: String,
    pub cohort: Cohort,
    pub curves: Vec<FusedCurve>,
}

/// Fused calibrations shipped with lfr (JSON written by `lfr calibrate
/// --fusion-out`): the cohort and the 16 curves, about half a megabyte.
const SHIPPED: &[&str] = &[include_str!(
    "../calibration/yunet-n-dynamic.align-yunet5-v1.dlib-resnet-v1.fused.json"
)];

impl FusionCalibration {
    /// Every curve with its rates raised by `factor` ([`Calibration::with_margin`]).
    pub fn with_margin(mut self, factor: f64) -> Self {
        self.curves = self
            .curves
            .into_iter()
            .map(|c| FusedCurve {
                calibration: c.calibration.with_margin(factor),
                ..c
            })
            .collect();
        self
    }

    pub fn shipped(algorithm: &Algorithm) -> Result<Self, CalibrationError> {
        crate::calibration::find_shipped(SHIPPED, algorithm, Self::from_json, |c| &c.algorithm)
    }

    pub fn from_json(text: &str) -> Result<Self, CalibrationError> {
        let c: Self =
            serde_json::from_str(text).map_err(|e| CalibrationError::Invalid(e.to_string()))?;
        c.cohort.validate()?;
        for curve in &c.curves {
            curve.calibration.validate()?;
            if curve.calibration.algorithm != c.algorithm {
                return Err(CalibrationError::Invalid(
                    "a fused curve names another algorithm".into(),
                ));
            }
        }
        Ok(c)
    }

    /// JSON with one cohort vector per line and one knot per line.
    /// SHA-256 of the calibration as written ([`Self::to_json`]): what a
    /// deployment records so that its threshold keeps its meaning.
    pub fn digest(&self) -> String {
        crate::calibration::digest_of(&self.to_json())
    }

    pub fn to_json(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).expect("strings serialise");
        let vectors: Vec<String> = self
            .cohort
            .vectors
            .iter()
            .map(|v| {
                // Shortest exact form: the file holds the very cohort the
                // curves were fitted with.
                let xs: Vec<String> = v.iter().map(|x| format!("{x}")).collect();
                format!("      [{}]", xs.join(","))
            })
            .collect();
        let curves: Vec<String> = self
            .curves
            .iter()
            .map(|c| {
                let cal = c.calibration.to_json().replace('\n', "\n    ");
                format!(
                    "    {{\"references\": {}, \"frames\": {}, \"subject_pairs\": {}, \"calibration\":\n    {cal}}}",
                    c.references, c.frames, c.subject_pairs
                )
            })
            .collect();
        format!(
            "{{\n  \"algorithm\": {},\n  \"source\": {},\n  \"cohort\": {{\n    \"top_k\": {},\n    \"vectors\": [\n{}\n    ]\n  }},\n  \"curves\": [\n{}\n  ]\n}}",
            q(self.algorithm.as_str()),
            q(&self.source),
            self.cohort.top_k,
            vectors.join(",\n"),
            curves.join(",\n")
        )
    }

    pub fn curve(&self, references: usize, frames: usize) -> Option<&FusedCurve> {
        self.curves
            .iter()
            .find(|c| c.references == references && c.frames == frames)
    }
}

/// Fuses and scores templates of one algorithm.
#[derive(Debug, Clone)]
pub struct Matcher {
    calibration: Arc<FusionCalibration>,
}

impl Matcher {
    pub fn new(calibration: FusionCalibration) -> Self {
        Self {
            calibration: Arc::new(calibration),
        }
    }

    /// The matcher of the fused calibration shipped for `algorithm`.
    pub fn shipped(algorithm: &Algorithm) -> Result<Self, FusionError> {
        Ok(Self::new(FusionCalibration::shipped(algorithm)?))
    }

    pub fn calibration(&self) -> &FusionCalibration {
        &self.calibration
    }

    /// A subject's reference: the best [`MAX_REFERENCES`] of `samples`,
    /// best first, each kept on its own.
    pub fn reference(&self, samples: &[Sample]) -> Result<Reference, FusionError> {
        let mut kept: Vec<&Sample> = samples.iter().collect();
        kept.sort_by(|a, b| b.quality.total_cmp(&a.quality));
        kept.truncate(MAX_REFERENCES);
        if kept.is_empty() {
            return Err(FusionError::Empty);
        }
        let pictures = kept
            .into_iter()
            .map(|s| self.fuse(std::slice::from_ref(s), 1))
            .collect::<Result<_, _>>()?;
        Ok(Reference { pictures })
    }

    /// A track's fused probe: the best [`MAX_FRAMES`] of `frames`.
    pub fn probe(&self, frames: &[Sample]) -> Result<Fused, FusionError> {
        self.fuse(frames, MAX_FRAMES)
    }

    /// The fused probe of the frames a [`TrackProbe`] kept.
    pub fn probe_track(&self, track: &TrackProbe) -> Result<Fused, FusionError> {
        self.probe(&track.samples())
    }

    fn fuse(&self, samples: &[Sample], max: usize) -> Result<Fused, FusionError> {
        let algorithm = &self.calibration.algorithm;
        let mut kept: Vec<&Sample> = samples.iter().collect();
        kept.sort_by(|a, b| b.quality.total_cmp(&a.quality));
        kept.truncate(max);
        let first = kept.first().ok_or(FusionError::Empty)?;
        let dims = self.calibration.cohort.dims();
        for s in &kept {
            if &s.template.algorithm != algorithm {
                return Err(TemplateError::AlgorithmMismatch(
                    s.template.algorithm.clone(),
                    algorithm.clone(),
                )
                .into());
            }
            if s.template.vector.len() != dims {
                return Err(TemplateError::Length(s.template.vector.len(), dims).into());
            }
        }
        let vector = mean(kept.iter().map(|s| s.template.vector.as_slice()));
        debug_assert_eq!(vector.len(), first.template.vector.len());
        let stats = self.calibration.cohort.stats(&vector);
        Ok(Fused {
            algorithm: algorithm.clone(),
            vector,
            count: kept.len(),
            stats,
        })
    }

    /// The calibrated score of a fused probe against a subject's
    /// reference: its best image's score, lowered by
    /// [`references_penalty`] for the images it has.
    pub fn compare(&self, probe: &Fused, reference: &Reference) -> Result<FusedMatch, FusionError> {
        let wrong = |f: &Fused| f.algorithm != self.calibration.algorithm;
        if let Some(f) = std::iter::once(probe)
            .chain(&reference.pictures)
            .find(|f| wrong(f))
        {
            return Err(TemplateError::AlgorithmMismatch(
                f.algorithm.clone(),
                self.calibration.algorithm.clone(),
            )
            .into());
        }
        let (k, m) = (reference.pictures.len(), probe.count);
        let curve = self.calibration.curve(1, m).ok_or(FusionError::NoCurve {
            references: 1,
            frames: m,
        })?;
        let (best, statistic) = reference
            .pictures
            .iter()
            .map(|r| {
                let d = euclidean(&probe.vector, &r.vector);
                Cohort::normalise(d, probe.stats, r.stats)
            })
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .ok_or(FusionError::Empty)?;
        let top = curve.calibration.score(statistic);
        Ok(FusedMatch {
            score: (top - references_penalty(k)).max(0.0),
            extrapolated: top > curve.calibration.extrapolated_above(),
            references: k,
            frames: m,
            best,
        })
    }
}

/// The best frames of one track so far, at most [`MAX_FRAMES`], each with
/// its quality. The live pipeline offers every described frame; a frame
/// that is not among the best is dropped at once (its vector zeroed), and
/// the kept ones are zeroed when the track ends and this is dropped.
#[derive(Default)]
pub struct TrackProbe {
    /// Best first.
    kept: Vec<(Template, f32)>,
}

impl std::fmt::Debug for TrackProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrackProbe({} frames)", self.kept.len())
    }
}

impl TrackProbe {
    /// Offers one frame's template. Returns whether it was kept, i.e.
    /// whether the fused probe changed and is worth searching again.
    pub fn offer(&mut self, template: Template, quality: f32) -> bool {
        let at = self.kept.partition_point(|(_, q)| *q >= quality);
        if at >= MAX_FRAMES {
            return false;
        }
        self.kept.insert(at, (template, quality));
        self.kept.truncate(MAX_FRAMES);
        true
    }

    /// Frames kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// The kept frames as samples for [`Matcher::probe`].
    pub fn samples(&self) -> Vec<Sample<'_>> {
        self.kept.iter().map(|(t, q)| Sample::new(t, *q)).collect()
    }
}

/// The equal-weight mean of vectors of one length.
pub fn mean<'a>(vectors: impl IntoIterator<Item = &'a [f32]>) -> Vec<f32> {
    let mut sum: Vec<f32> = Vec::new();
    let mut n = 0usize;
    for v in vectors {
        if sum.is_empty() {
            sum = vec![0.0; v.len()];
        }
        for (s, x) in sum.iter_mut().zip(v) {
            *s += x;
        }
        n += 1;
    }
    let n = n.max(1) as f32;
    sum.iter_mut().for_each(|s| *s /= n);
    sum
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn alg() -> Algorithm {
        Algorithm("t/a/e".into())
    }

    fn calibration() -> FusionCalibration {
        synthetic(&[(1, 1), (1, 2)])
    }

    /// A calibration of algorithm `t/a/e` on 2-d vectors whose curves map
    /// the statistic linearly to log10 FMR.
    pub(crate) fn synthetic(counts: &[(usize, usize)]) -> FusionCalibration {
        let cohort =
            Cohort::new(3, (0..20).map(|i| vec![(i as f32) * 0.3, 1.0]).collect()).unwrap();
        let stats: Vec<f32> = (0..20_000).map(|i| -3.0 + i as f32 * 3e-4).collect();
        let curves = counts
            .iter()
            .map(|&(k, m)| FusedCurve {
                references: k,
                frames: m,
                subject_pairs: 100,
                calibration: Calibration::fit(alg(), "synthetic", stats.clone()).unwrap(),
            })
            .collect();
        FusionCalibration {
            algorithm: alg(),
            source: "synthetic".into(),
            cohort,
            curves,
        }
    }

    fn t(v: [f32; 2]) -> Template {
        Template::new(alg(), v.to_vec())
    }

    #[test]
    fn keeps_the_best_pictures_and_averages_them() {
        let m = Matcher::new(calibration());
        let (a, b, c) = (t([0.0, 0.0]), t([2.0, 0.0]), t([100.0, 0.0]));
        let f = m
            .fuse(
                &[
                    Sample::new(&a, 0.9),
                    Sample::new(&c, 0.1),
                    Sample::new(&b, 0.8),
                ],
                2,
            )
            .unwrap();
        assert_eq!(f.count(), 2);
        assert_eq!(f.vector, vec![1.0, 0.0]);
        assert!(matches!(m.probe(&[]), Err(FusionError::Empty)));
    }

    #[test]
    fn a_subject_scores_by_its_best_reference_lowered_for_its_count() {
        let m = Matcher::new(calibration());
        let (a, b, far) = (t([1.0, 1.0]), t([1.1, 1.0]), t([4.0, 1.0]));
        let probe = m.probe(&[Sample::new(&b, 1.0)]).unwrap();
        let one = m.reference(&[Sample::new(&a, 1.0)]).unwrap();
        let alone = m.compare(&probe, &one).unwrap();
        assert_eq!((alone.references, alone.frames, alone.best), (1, 1, 0));
        assert!((0.0..=1.0).contains(&alone.score));
        // A second, worse image: the best one decides, at a score lowered
        // by log10(2) / 10 so that two chances keep one's false match rate.
        let two = m
            .reference(&[Sample::new(&far, 0.9), Sample::new(&a, 0.5)])
            .unwrap();
        assert_eq!(two.count(), 2);
        let r = m.compare(&probe, &two).unwrap();
        assert_eq!(
            (r.references, r.best),
            (2, 1),
            "the second image kept is the closest"
        );
        assert!((alone.score - r.score - references_penalty(2)).abs() < 1e-9);
        assert!((references_penalty(2) - 0.0301).abs() < 1e-4);
        // Closer pairs score higher.
        let further = m.probe(&[Sample::new(&far, 1.0)]).unwrap();
        assert!(m.compare(&further, &one).unwrap().score < alone.score);
        // No curve for three frames: refused, not guessed.
        let three = m
            .probe(&[
                Sample::new(&a, 1.0),
                Sample::new(&b, 1.0),
                Sample::new(&a, 0.5),
            ])
            .unwrap();
        assert!(matches!(
            m.compare(&three, &one),
            Err(FusionError::NoCurve { .. })
        ));
        assert!(matches!(m.reference(&[]), Err(FusionError::Empty)));
    }

    #[test]
    fn refuses_other_algorithms_and_round_trips_json() {
        let c = calibration();
        let m = Matcher::new(c.clone());
        let other = Template::new(Algorithm("x".into()), vec![0.0, 0.0]);
        assert!(matches!(
            m.probe(&[Sample::new(&other, 1.0)]),
            Err(FusionError::Template(_))
        ));
        let back = FusionCalibration::from_json(&c.to_json()).unwrap();
        assert_eq!(back.curves, c.curves);
        assert_eq!(back.cohort.top_k, 3);
        assert!(FusionCalibration::from_json("{}").is_err());
        assert!(
            format!(
                "{:?}",
                m.probe(&[Sample::new(&t([0.5, 0.25]), 1.0)]).unwrap()
            )
            .contains("1 pictures")
        );
    }

    #[test]
    fn a_track_keeps_its_best_frames() {
        let m = Matcher::new(calibration());
        let mut track = TrackProbe::default();
        for (i, q) in [0.2, 0.9, 0.5, 0.1, 0.7].into_iter().enumerate() {
            let kept = track.offer(t([i as f32, 0.0]), q);
            // The fifth frame (0.7) displaces the 0.1 frame; 0.1 itself was kept
            // while there was room.
            assert!(kept, "frame {i}");
        }
        assert_eq!(track.len(), MAX_FRAMES);
        assert!(
            !track.offer(t([9.0, 9.0]), 0.05),
            "worse than every kept frame"
        );
        let qualities: Vec<f32> = track.samples().iter().map(|s| s.quality).collect();
        assert_eq!(qualities, vec![0.9, 0.7, 0.5, 0.2]);
        let probe = m.probe_track(&track).unwrap();
        assert_eq!(probe.count(), MAX_FRAMES);
        // Frames 1, 4, 2, 0 averaged.
        assert_eq!(probe.vector, vec![7.0 / 4.0, 0.0]);
        assert!(matches!(
            m.probe_track(&TrackProbe::default()),
            Err(FusionError::Empty)
        ));
    }

    #[test]
    fn the_default_algorithm_ships_a_curve_for_every_count_of_frames() {
        let alg = crate::pipeline::algorithm(crate::align::AlignMethod::YuNet5);
        let c = FusionCalibration::shipped(&alg).unwrap();
        assert_eq!(c.cohort.dims(), 128);
        for m in 1..=MAX_FRAMES {
            let curve = c.curve(1, m).expect("a curve for every count of frames");
            assert!(curve.calibration.impostor_pairs > 1_000_000);
        }
        // Exactly the cohort the curves were fitted with: the file round-trips.
        assert_eq!(FusionCalibration::from_json(&c.to_json()).unwrap(), c);
        assert!(FusionCalibration::shipped(&Algorithm("x/y/z".into())).is_err());
    }
}
