//! The one step of watchlist import that needs the recognition engine.

use crate::watchlist::{QualityGrade, Template};

pub use crate::calibration::{CalibrationCheck, ModelUse};

/// What the engine makes of one reference image.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrolment {
    /// The grade against the custody-photo ideal, with the reasons for any shortfall.
    pub grade: QualityGrade,
    pub reasons: Vec<String>,
    /// The template of the face graded; `None` when there is no face to
    /// enrol (the grade is then `Poor`).
    pub template: Option<Template>,
}

/// Grades a reference image and makes its template. Implemented over the
/// engine by the binary; the domain and storage never see engine types.
///
/// An `Err` is for an image that cannot be read at all (corrupt, not an
/// image); its message is shown to the user beside the manifest entry.
pub trait Enroller: Send + Sync {
    /// The algorithm identifier the templates will carry.
    fn algorithm(&self) -> String;
    /// What the model's licence forbids, when it forbids operational use
    /// (see `policy::model_licensed_for_operational_use`).
    fn restriction(&self) -> Option<String> {
        None
    }
    /// SHA-256 of the score calibration the model scores with, recorded
    /// with the deployment's model (see `RecognitionModel::calibration`).
    fn calibration(&self) -> Option<String> {
        None
    }
    /// Whether that calibration was shown to hold on people it was not
    /// fitted on (see `policy::model_calibration_holds`).
    fn calibration_check(&self) -> CalibrationCheck {
        CalibrationCheck::NotChecked
    }
    fn enrol(&self, image: &[u8]) -> Result<Enrolment, String>;
}
