//! The engine behind watchlist import, for callers that are not the `lfr`
//! tool (the server, the demo, tests): grades each reference image against
//! the custody-photo ideal and makes its template.

use std::sync::Mutex;

use lfr_domain::enrol::{CalibrationCheck, Enroller, Enrolment};
use lfr_domain::watchlist::{QualityGrade, Template};
use lfr_engine::align::AlignMethod;
use lfr_engine::detect::DetectorConfig;
use lfr_engine::pipeline::{Engine, EngineConfig, EngineError, ModelFiles};
use lfr_engine::quality::{Grade, grade_reference};

/// An [`Enroller`] over the engine with still-image settings (full
/// resolution, YuNet5 alignment: the algorithm the live pipeline uses).
pub struct EngineEnroller {
    engine: Mutex<Engine>,
    restriction: Option<String>,
    calibration: Option<String>,
    check: CalibrationCheck,
}

/// What the record of `models`' calibration checks says, in the rules'
/// terms. A record that cannot be read proves nothing, so the model counts
/// as not checked (the rule then asks for a reason); it does not stop the
/// model enrolling or recognising for a deployment that already has it.
pub fn calibration_check(models: &ModelFiles) -> CalibrationCheck {
    match models.calibration_checks(AlignMethod::YuNet5) {
        Ok(r) => check_of(r),
        Err(e) => {
            tracing::warn!(
                "{}: its calibration checks cannot be read: {e}",
                models.recogniser.id()
            );
            CalibrationCheck::NotChecked
        }
    }
}

/// A record of calibration checks ([`lfr_engine::checks`]) in the rules' terms.
pub fn check_of(record: Option<lfr_engine::checks::CheckRecord>) -> CalibrationCheck {
    match record {
        None => CalibrationCheck::NotChecked,
        Some(r) if r.holds() => CalibrationCheck::Holds { of: r.of, on: r.on },
        Some(r) => CalibrationCheck::Fails {
            held: r.held,
            of: r.of,
            on: r.on,
            not_held: r.not_held,
        },
    }
}

impl EngineEnroller {
    pub fn open(models: &ModelFiles) -> Result<Self, EngineError> {
        let config = EngineConfig {
            detector: DetectorConfig::stills(),
            align: AlignMethod::YuNet5,
            ..EngineConfig::default()
        };
        Ok(Self {
            engine: Mutex::new(Engine::open(models, &config)?),
            restriction: models.recogniser.restriction().map(str::to_string),
            calibration: Some(models.calibration_digest(AlignMethod::YuNet5)?),
            check: calibration_check(models),
        })
    }
}

impl Enroller for EngineEnroller {
    fn algorithm(&self) -> String {
        self.engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .algorithm()
            .to_string()
    }

    fn restriction(&self) -> Option<String> {
        self.restriction.clone()
    }

    fn calibration(&self) -> Option<String> {
        self.calibration.clone()
    }

    fn calibration_check(&self) -> CalibrationCheck {
        self.check.clone()
    }

    fn enrol(&self, image: &[u8]) -> Result<Enrolment, String> {
        let img = lfr_engine::image_file::decode(image)
            .map_err(|e| format!("not a readable JPEG or PNG image: {e}"))?;
        let mut engine = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        let faces = engine.detect(&img).map_err(|e| e.to_string())?;
        let g = grade_reference(&img, &faces);
        let grade = match g.grade {
            Grade::Good => QualityGrade::Good,
            Grade::Acceptable => QualityGrade::Acceptable,
            Grade::Poor => QualityGrade::Poor,
        };
        // A Poor image is never stored, so its template is not made.
        let template = match g.face {
            Some(i) if grade != QualityGrade::Poor => {
                let mut t = engine
                    .templates(&img, std::slice::from_ref(&faces[i]))
                    .map_err(|e| e.to_string())?
                    .remove(0);
                Some(Template {
                    algorithm: t.algorithm.to_string(),
                    // Moved out, not copied: the engine template is left empty.
                    vector: std::mem::take(&mut t.vector),
                })
            }
            _ => None,
        };
        Ok(Enrolment {
            grade,
            reasons: g.reasons,
            template,
        })
    }
}
