//! The deployment's gallery as the pipeline searches it: the store's
//! released templates fused per subject in an engine [`FusedWatchlist`],
//! with who each subject is.
//!
//! A subject enrolled from several reference images is compared as one
//! fused reference, and a track is compared as the fusion of its best
//! frames: both sides' noise averages out, and the score stays a measured
//! false match rate because each (references, frames) pair has its own
//! calibrated curve (see `lfr_engine::fusion`).

use std::collections::HashMap;

use lfr_domain::ids::{ImageId, InclusionId};
use lfr_domain::watchlist::Category;
use lfr_engine::fusion::{Fused, FusionError, Matcher};
use lfr_engine::search::{FusedCandidate, FusedWatchlist};
use lfr_engine::template::{Algorithm, Template};
use lfr_store::templates::GalleryEntry;

/// Candidates a search returns, at most.
pub const CANDIDATES: usize = 3;

/// A candidate with the domain's names for it.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub inclusion: InclusionId,
    /// The subject's reference image closest to the probe: the one the
    /// operator sees beside it.
    pub image: ImageId,
    pub category: Category,
    pub score: f64,
    /// Reference images and probe frames fused into the score.
    pub references: usize,
    pub frames: usize,
}

/// Templates released for one deployment. Dropping it zeroes them.
pub struct Gallery {
    watchlist: FusedWatchlist,
    /// Category by inclusion id.
    categories: HashMap<i64, Category>,
    images: usize,
}

impl std::fmt::Debug for Gallery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Gallery({:?}, {} images)", self.watchlist, self.images)
    }
}

impl Gallery {
    /// Builds the fused watchlist from the entries `Store::gallery`
    /// released, taking their templates (zeroed when dropped).
    /// A subject's images are ranked by enrolment order (the store releases
    /// them so): the first [`lfr_engine::fusion::MAX_REFERENCES`] are fused.
    pub fn new(matcher: Matcher, entries: Vec<GalleryEntry>) -> Result<Self, FusionError> {
        let images = entries.len();
        // (inclusion, category, its images' numbers and templates)
        type Subject = (i64, Category, Vec<(u64, Template)>);
        let mut by_subject: Vec<Subject> = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        for e in entries {
            let t = Template::new(Algorithm(e.template.algorithm), e.template.vector);
            let at = *index.entry(e.inclusion.0).or_insert_with(|| {
                by_subject.push((e.inclusion.0, e.category, Vec::new()));
                by_subject.len() - 1
            });
            by_subject[at].2.push((e.image.0 as u64, t));
        }
        let mut watchlist = FusedWatchlist::new(matcher);
        let mut categories = HashMap::with_capacity(by_subject.len());
        for (inclusion, category, refs) in &by_subject {
            // Earlier images rank higher: quality falls with enrolment order.
            let ranked: Vec<(u64, &Template, f32)> = refs
                .iter()
                .enumerate()
                .map(|(k, (img, t))| (*img, t, -(k as f32)))
                .collect();
            watchlist.add_subject(*inclusion as u64, &ranked)?;
            categories.insert(*inclusion, *category);
        }
        // `by_subject` drops here, zeroing every template it held.
        Ok(Self {
            watchlist,
            categories,
            images,
        })
    }

    /// The matcher that fuses a track's frames for [`Gallery::search`].
    pub fn matcher(&self) -> &Matcher {
        self.watchlist.matcher()
    }

    /// Subjects held.
    pub fn subjects(&self) -> usize {
        self.watchlist.len()
    }

    /// Reference images released (some may not be fused: see [`Gallery::new`]).
    pub fn images(&self) -> usize {
        self.images
    }

    pub fn is_empty(&self) -> bool {
        self.watchlist.is_empty()
    }

    /// The best [`CANDIDATES`] subjects for a fused probe, best first,
    /// whatever their scores: the caller applies the threshold.
    pub fn candidates(&self, probe: &Fused) -> Result<Vec<Hit>, FusionError> {
        self.top(probe, CANDIDATES)
    }

    /// The best `n` subjects for a fused probe, best first (evaluations
    /// look further down the list than the live search).
    pub fn top(&self, probe: &Fused, n: usize) -> Result<Vec<Hit>, FusionError> {
        Ok(self
            .watchlist
            .search(probe, n)?
            .into_iter()
            .map(|c| self.hit(c))
            .collect())
    }

    /// Subjects at or above `threshold` for a fused probe, best first.
    pub fn search(&self, probe: &Fused, threshold: f64) -> Result<Vec<Hit>, FusionError> {
        let mut hits = self.candidates(probe)?;
        hits.retain(|h| h.score >= threshold);
        Ok(hits)
    }

    fn hit(&self, c: FusedCandidate) -> Hit {
        let inclusion = InclusionId(c.subject as i64);
        Hit {
            inclusion,
            image: ImageId(c.image as i64),
            category: self.category(inclusion),
            score: c.score,
            references: c.references,
            frames: c.frames,
        }
    }

    fn category(&self, inclusion: InclusionId) -> Category {
        self.categories[&inclusion.0]
    }
}
