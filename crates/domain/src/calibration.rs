//! Whether a model's score calibration was shown to hold on people it was
//! not fitted on. The Authorising Officer's threshold names a false match
//! rate only through the calibration, so what is known of it travels with
//! the model into the rules ([`crate::policy::model_calibration_holds`]).

use serde::Serialize;

use crate::deployment::RecognitionModel;

/// What the record of a calibration's checks on unseen people says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CalibrationCheck {
    /// Every checked rate held: `of` rates, on the people `on` names.
    Holds { of: usize, on: String },
    /// `held` of `of` rates held; `not_held` says which did not, in words.
    Fails {
        held: usize,
        of: usize,
        on: String,
        not_held: Vec<String>,
    },
    /// No record of checks exists for this calibration.
    NotChecked,
}

impl CalibrationCheck {
    pub fn holds(&self) -> bool {
        matches!(self, Self::Holds { .. })
    }

    /// One line for listings and audit entries.
    pub fn summary(&self) -> String {
        match self {
            Self::Holds { of, on } => format!("holds: all {of} checked rates, on {on}"),
            Self::Fails {
                held,
                of,
                on,
                not_held,
            } => {
                let first = not_held.first().map_or(String::new(), |w| format!("; {w}"));
                format!("DOES NOT HOLD: {held} of {of} checked rates, on {on}{first}")
            }
            Self::NotChecked => "not checked on people it was not fitted on".into(),
        }
    }
}

/// What the person choosing a deployment's model records to use one the
/// rules would otherwise refuse. The audit entry keeps both, so the
/// decision, and who made it, can be reviewed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelUse<'a> {
    /// The reference of a licence that allows a restricted model's
    /// operational use ([`crate::policy::model_licensed_for_operational_use`]).
    pub licence: Option<&'a str>,
    /// Why a calibration not shown to hold is acceptable for this deployment
    /// ([`crate::policy::model_calibration_holds`]).
    pub calibration: Option<&'a str>,
}

/// The model new deployments get, with what the model rules ask of it:
/// the store checks both when a deployment is applied for, whoever applies.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDeploymentModel {
    pub recognition: RecognitionModel,
    /// What its licence forbids, when it forbids operational use.
    pub restriction: Option<String>,
    /// What its calibration's record says; `None` is accepted only for the
    /// store's own default ([`Self::builtin`]) and counts as not checked
    /// for any other model.
    pub check: Option<CalibrationCheck>,
}

impl NewDeploymentModel {
    /// The store's default until the model is set: lfr's built-in
    /// descriptor, whose shipped record holds (tested where it ships).
    pub fn builtin() -> Self {
        Self {
            recognition: RecognitionModel::default(),
            restriction: None,
            check: None,
        }
    }

    /// What the calibration rule is to be asked of.
    pub fn check(&self) -> Option<CalibrationCheck> {
        match &self.check {
            Some(c) => Some(c.clone()),
            None if self.recognition == RecognitionModel::default() => None,
            None => Some(CalibrationCheck::NotChecked),
        }
    }
}
