//! The engine behind watchlist import: grades each reference image and makes
//! its template, through the domain's `Enroller` trait.

use anyhow::{Result, bail};
use lfr_domain::enrol::Enroller;

use crate::Global;

/// The enroller of the default recognition pipeline.
///
/// The engine's quality grading and template making are wired in here as
/// soon as they exist (`lfr_engine::quality::grade_reference` and the
/// describer); until then, import validates (`--check`) but refuses to
/// enrol rather than store images without templates.
pub fn engine_enroller(_g: &Global) -> Result<Box<dyn Enroller>> {
    bail!(
        "enrolling reference images needs the recognition engine's quality grading and templates, \
         which this build does not have yet; `lfr watchlist import --check` validates an import without them"
    )
}
