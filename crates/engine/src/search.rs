//! 1:N search: one probe template against every reference template of a
//! watchlist, best candidates first.
//!
//! Watchlists are small (the APP speaks of hundreds to a few thousand
//! people), so an exhaustive scan of a contiguous matrix is both exact and
//! fast: 10,000 references of 128 values are 1.3 million multiply-adds, a
//! fraction of a millisecond, against 7-10 ms to describe the probe. No
//! approximate index, hence no candidate ever missed by the index.
//!
//! Two ways to score a subject with several reference images:
//! - [`WatchlistIndex`]: one template against each image; a subject's score
//!   is that of its closest image (each subject appears once). The
//!   single-image calibration then *understates* the false match rate, since
//!   a subject of `k` images gives a stranger `k` chances.
//! - [`FusedWatchlist`]: a track's fused probe against each subject's
//!   images ([`crate::fusion`]): scored by the curve calibrated for that
//!   many frames, the best image counting, lowered for the chances a subject
//!   of several images gives. This is the more accurate of the two at low
//!   false match rates (see docs/accuracy.md).

use zeroize::Zeroize;

use crate::calibration::Calibration;
use crate::fusion::{Fused, FusionError, MAX_REFERENCES, Matcher, Reference, Sample};
use crate::template::{Algorithm, Template, TemplateError};

/// One result of a search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// The caller's number for the subject, as given to [`WatchlistIndex::add`].
    pub subject: u64,
    /// The caller's number for the reference image that came closest.
    pub image: u64,
    /// Euclidean distance between the descriptors.
    pub distance: f32,
    /// The calibrated Similarity Score, 0-1.
    pub score: f64,
}

/// Reference templates of one algorithm, stored as one matrix. The values
/// are zeroed when the index is dropped: watchlist templates leave memory
/// with the recognition session that needed them.
pub struct WatchlistIndex {
    algorithm: Algorithm,
    dims: usize,
    /// Row-major, `dims` values per reference.
    matrix: Vec<f32>,
    /// `(subject, image)` of each row.
    rows: Vec<(u64, u64)>,
}

impl std::fmt::Debug for WatchlistIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "WatchlistIndex({}, {} references)",
            self.algorithm,
            self.rows.len()
        )
    }
}

impl Drop for WatchlistIndex {
    fn drop(&mut self) {
        self.matrix.zeroize();
    }
}

impl WatchlistIndex {
    /// An empty index for templates of `algorithm`, of `capacity` references
    /// (reserving up front means the matrix is never reallocated, so no
    /// stale copy of a template is left in freed memory by growth).
    pub fn with_capacity(algorithm: Algorithm, dims: usize, capacity: usize) -> Self {
        Self {
            algorithm,
            dims,
            matrix: Vec::with_capacity(dims * capacity),
            rows: Vec::with_capacity(capacity),
        }
    }

    pub fn algorithm(&self) -> &Algorithm {
        &self.algorithm
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds a reference template. Refused if it was made by another
    /// algorithm or has another length.
    pub fn add(&mut self, subject: u64, image: u64, t: &Template) -> Result<(), TemplateError> {
        if t.algorithm != self.algorithm {
            return Err(TemplateError::AlgorithmMismatch(
                self.algorithm.clone(),
                t.algorithm.clone(),
            ));
        }
        if t.vector.len() != self.dims {
            return Err(TemplateError::Length(self.dims, t.vector.len()));
        }
        if self.matrix.len() + self.dims > self.matrix.capacity() {
            // Grow by hand: copy into a larger matrix and zero the old one,
            // rather than let `Vec` free it with the values still in it.
            let mut bigger = Vec::with_capacity((self.matrix.capacity() * 2).max(64 * self.dims));
            bigger.extend_from_slice(&self.matrix);
            self.matrix.zeroize();
            self.matrix = bigger;
        }
        self.matrix.extend_from_slice(&t.vector);
        self.rows.push((subject, image));
        Ok(())
    }

    /// The `k` best subjects for `probe`, closest first, with calibrated
    /// scores. Each subject appears once, with its closest image.
    pub fn search(
        &self,
        probe: &Template,
        calibration: &Calibration,
        k: usize,
    ) -> Result<Vec<Candidate>, TemplateError> {
        if probe.algorithm != self.algorithm {
            return Err(TemplateError::AlgorithmMismatch(
                self.algorithm.clone(),
                probe.algorithm.clone(),
            ));
        }
        if probe.vector.len() != self.dims {
            return Err(TemplateError::Length(self.dims, probe.vector.len()));
        }
        if k == 0 || self.rows.is_empty() {
            return Ok(Vec::new());
        }
        // Squared distances: the square root is taken only for the winners.
        let mut best: Vec<(u64, u64, f32)> = Vec::with_capacity(k + 1);
        for (row, &(subject, image)) in self.matrix.chunks_exact(self.dims).zip(&self.rows) {
            let d2 = squared_distance(row, &probe.vector);
            if let Some(b) = best.iter_mut().find(|b| b.0 == subject) {
                if d2 < b.2 {
                    *b = (subject, image, d2);
                }
            } else if best.len() < k || d2 < best[best.len() - 1].2 {
                best.push((subject, image, d2));
            } else {
                continue;
            }
            best.sort_by(|a, b| a.2.total_cmp(&b.2));
            best.truncate(k);
        }
        Ok(best
            .into_iter()
            .map(|(subject, image, d2)| {
                let distance = d2.sqrt();
                Candidate {
                    subject,
                    image,
                    distance,
                    score: calibration.score(distance),
                }
            })
            .collect())
    }
}

/// One result of a fused search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FusedCandidate {
    /// The caller's number for the subject, as given to [`FusedWatchlist::add_subject`].
    pub subject: u64,
    /// The reference image closest to the fused probe: the one to show the
    /// operator beside the probe.
    pub image: u64,
    /// The calibrated Similarity Score of the fused comparison.
    pub score: f64,
    /// Whether the score lies beyond the calibration data.
    pub extrapolated: bool,
    /// Reference images compared and probe frames fused.
    pub references: usize,
    pub frames: usize,
}

struct FusedSubject {
    subject: u64,
    reference: Reference,
    /// The numbers of the images kept, in the reference's order.
    images: Vec<u64>,
}

/// A watchlist of subjects, each with its best [`MAX_REFERENCES`] images by
/// quality. Dropping it zeroes every template it holds.
pub struct FusedWatchlist {
    matcher: Matcher,
    subjects: Vec<FusedSubject>,
}

impl std::fmt::Debug for FusedWatchlist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FusedWatchlist({} subjects)", self.subjects.len())
    }
}

impl FusedWatchlist {
    pub fn new(matcher: Matcher) -> Self {
        Self {
            matcher,
            subjects: Vec::new(),
        }
    }

    /// The matcher, to fuse a track's probe with ([`Matcher::probe_track`]).
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Subjects held.
    pub fn len(&self) -> usize {
        self.subjects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.subjects.is_empty()
    }

    /// Adds a subject from its reference images as `(image number,
    /// template, quality)`: the best [`MAX_REFERENCES`] by quality are kept.
    /// Refused if a template is of another algorithm or length, or if the
    /// subject was already added.
    pub fn add_subject(
        &mut self,
        subject: u64,
        references: &[(u64, &Template, f32)],
    ) -> Result<(), FusionError> {
        if self.subjects.iter().any(|s| s.subject == subject) {
            return Err(FusionError::Duplicate(subject));
        }
        let mut best: Vec<&(u64, &Template, f32)> = references.iter().collect();
        best.sort_by(|a, b| b.2.total_cmp(&a.2));
        best.truncate(MAX_REFERENCES);
        let samples: Vec<Sample> = best.iter().map(|r| Sample::new(r.1, r.2)).collect();
        let reference = self.matcher.reference(&samples)?;
        self.subjects.push(FusedSubject {
            subject,
            reference,
            images: best.iter().map(|r| r.0).collect(),
        });
        Ok(())
    }

    /// The `k` best subjects for a fused probe, best first.
    pub fn search(&self, probe: &Fused, k: usize) -> Result<Vec<FusedCandidate>, FusionError> {
        let mut all = Vec::with_capacity(self.subjects.len());
        for s in &self.subjects {
            let m = self.matcher.compare(probe, &s.reference)?;
            all.push((s, m));
        }
        all.sort_by(|a, b| b.1.score.total_cmp(&a.1.score));
        all.truncate(k);
        Ok(all
            .into_iter()
            .map(|(s, m)| FusedCandidate {
                subject: s.subject,
                image: s.images.get(m.best).copied().unwrap_or(0),
                score: m.score,
                extrapolated: m.extrapolated,
                references: m.references,
                frames: m.frames,
            })
            .collect())
    }
}

fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    // Four independent sums let the compiler vectorise the loop.
    let mut acc = [0f32; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..4 {
            let d = x[i] - y[i];
            acc[i] += d * d;
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| (x - y) * (x - y)).sum();
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alg() -> Algorithm {
        Algorithm("test/a/e".into())
    }

    fn t(v: &[f32]) -> Template {
        Template::new(alg(), v.to_vec())
    }

    #[test]
    fn best_image_per_subject_closest_first() {
        let cal = Calibration::shipped(&crate::pipeline::algorithm(
            crate::align::AlignMethod::YuNet5,
        ))
        .unwrap();
        let mut idx = WatchlistIndex::with_capacity(alg(), 4, 1);
        idx.add(1, 10, &t(&[1.0, 0.0, 0.0, 0.0])).unwrap();
        idx.add(1, 11, &t(&[0.2, 0.0, 0.0, 0.0])).unwrap();
        idx.add(2, 20, &t(&[0.0, 0.5, 0.0, 0.0])).unwrap();
        idx.add(3, 30, &t(&[0.0, 0.0, 3.0, 0.0])).unwrap();
        assert_eq!(idx.len(), 4);
        let r = idx.search(&t(&[0.0, 0.0, 0.0, 0.0]), &cal, 2).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].subject, r[0].image), (1, 11));
        assert!((r[0].distance - 0.2).abs() < 1e-6);
        assert_eq!((r[1].subject, r[1].image), (2, 20));
        assert!(r[0].score > r[1].score);
        let all = idx.search(&t(&[0.0, 0.0, 2.9, 0.0]), &cal, 10).unwrap();
        assert_eq!(all.len(), 3, "one result per subject");
        assert_eq!(all[0].subject, 3);
    }

    #[test]
    fn other_algorithms_and_lengths_are_refused() {
        let cal = Calibration::shipped(&crate::pipeline::algorithm(
            crate::align::AlignMethod::YuNet5,
        ))
        .unwrap();
        let mut idx = WatchlistIndex::with_capacity(alg(), 2, 1);
        let other = Template::new(Algorithm("x/y/z".into()), vec![0.0; 2]);
        assert!(idx.add(1, 1, &other).is_err());
        assert!(idx.add(1, 1, &t(&[0.0; 3])).is_err());
        idx.add(1, 1, &t(&[0.0; 2])).unwrap();
        assert!(idx.search(&other, &cal, 1).is_err());
        assert!(idx.search(&t(&[0.0; 2]), &cal, 0).unwrap().is_empty());
    }

    #[test]
    fn fused_watchlist_scores_subjects_by_their_best_reference() {
        let alg = Algorithm("t/a/e".into());
        let tt = |x: f32, y: f32| Template::new(alg.clone(), vec![x, y]);
        let counts: Vec<(usize, usize)> = (1..=crate::fusion::MAX_FRAMES).map(|m| (1, m)).collect();
        let matcher = Matcher::new(crate::fusion::tests::synthetic(&counts));
        let mut w = FusedWatchlist::new(matcher);
        let (a1, a2, far) = (tt(1.0, 1.0), tt(1.2, 1.0), tt(30.0, 1.0));
        w.add_subject(7, &[(70, &a1, 0.9), (71, &a2, 0.8)]).unwrap();
        w.add_subject(8, &[(80, &far, 0.9)]).unwrap();
        assert!(matches!(
            w.add_subject(8, &[(81, &a1, 0.9)]),
            Err(FusionError::Duplicate(8))
        ));
        assert_eq!(w.len(), 2);
        let mut track = crate::fusion::TrackProbe::default();
        assert!(track.offer(tt(1.15, 1.0), 0.5));
        assert!(track.offer(tt(1.25, 1.0), 0.6));
        let probe = w.matcher().probe_track(&track).unwrap();
        let r = w.search(&probe, 5).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].subject, 7);
        // The probe's mean (1.2, 1) is image 71 itself.
        assert_eq!(r[0].image, 71);
        assert_eq!((r[0].references, r[0].frames), (2, 2));
        assert!(r[0].score > r[1].score);
        assert_eq!(w.search(&probe, 1).unwrap().len(), 1);
        // A subject's references beyond MAX_REFERENCES: the worst is left out.
        let five: Vec<Template> = (0..5).map(|i| tt(50.0 + i as f32, 1.0)).collect();
        let refs: Vec<(u64, &Template, f32)> = five
            .iter()
            .enumerate()
            .map(|(i, t)| (90 + i as u64, t, i as f32))
            .collect();
        w.add_subject(9, &refs).unwrap();
        let nine = w
            .search(&probe, 3)
            .unwrap()
            .into_iter()
            .find(|c| c.subject == 9)
            .unwrap();
        assert_eq!(nine.references, MAX_REFERENCES);
        assert_eq!(
            nine.image, 91,
            "image 90 (quality 0) is left out; 91 is the closest kept"
        );
        // Another algorithm is refused.
        let other = Template::new(Algorithm("x".into()), vec![0.0, 0.0]);
        assert!(w.add_subject(10, &[(1, &other, 1.0)]).is_err());
    }
}
