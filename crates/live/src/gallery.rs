//! The deployment's gallery as the pipeline searches it: the store's
//! released templates in an engine [`WatchlistIndex`], with who each is.

use lfr_domain::ids::{ImageId, InclusionId};
use lfr_domain::watchlist::Category;
use lfr_engine::calibration::Calibration;
use lfr_engine::search::{Candidate, WatchlistIndex};
use lfr_engine::template::{Algorithm, Template, TemplateError};
use lfr_store::watchlists::GalleryEntry;
use zeroize::Zeroize;

/// A candidate with the domain's names for it.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub inclusion: InclusionId,
    pub image: ImageId,
    pub category: Category,
    pub score: f64,
}

/// Templates released for one deployment. Dropping it zeroes them.
pub struct Gallery {
    index: WatchlistIndex,
    calibration: Calibration,
    /// Category by inclusion id.
    categories: Vec<(i64, Category)>,
}

impl std::fmt::Debug for Gallery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Gallery({:?})", self.index)
    }
}

impl Gallery {
    /// Builds the index from the entries `Store::gallery` released, zeroing
    /// the store's copies of the templates as it goes.
    pub fn new(
        algorithm: &Algorithm,
        calibration: Calibration,
        entries: Vec<GalleryEntry>,
    ) -> Result<Self, TemplateError> {
        let dims = entries.first().map_or(128, |e| e.template.vector.len());
        let mut index = WatchlistIndex::with_capacity(algorithm.clone(), dims, entries.len());
        let mut categories = Vec::with_capacity(entries.len());
        let mut result = Ok(());
        for mut e in entries {
            if result.is_ok() {
                let t = Template::new(
                    Algorithm(std::mem::take(&mut e.template.algorithm)),
                    std::mem::take(&mut e.template.vector),
                );
                result = index.add(e.inclusion.0 as u64, e.image.0 as u64, &t);
                // `t` is dropped here, zeroing its vector.
            }
            e.template.vector.zeroize();
            if !categories.iter().any(|(i, _)| *i == e.inclusion.0) {
                categories.push((e.inclusion.0, e.category));
            }
        }
        result?;
        Ok(Self {
            index,
            calibration,
            categories,
        })
    }

    /// Reference images held.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Subjects at or above `threshold` for `probe`, best first.
    pub fn search(&self, probe: &Template, threshold: f64) -> Result<Vec<Hit>, TemplateError> {
        let found: Vec<Candidate> = self.index.search(probe, &self.calibration, 3)?;
        Ok(found
            .into_iter()
            .filter(|c| c.score >= threshold)
            .map(|c| {
                let inclusion = InclusionId(c.subject as i64);
                Hit {
                    inclusion,
                    image: ImageId(c.image as i64),
                    category: self.category(inclusion),
                    score: c.score,
                }
            })
            .collect())
    }

    fn category(&self, inclusion: InclusionId) -> Category {
        self.categories
            .iter()
            .find(|(i, _)| *i == inclusion.0)
            .map(|(_, c)| *c)
            .expect("every indexed inclusion has a category")
    }

    /// The best score for `probe` whatever the threshold (for measurement).
    pub fn best(&self, probe: &Template) -> Result<Option<Candidate>, TemplateError> {
        Ok(self
            .index
            .search(probe, &self.calibration, 1)?
            .into_iter()
            .next())
    }
}
