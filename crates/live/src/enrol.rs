//! The engine behind watchlist import, for callers that are not the `lfr`
//! tool (the server, the demo, tests): grades each reference image against
//! the custody-photo ideal and makes its template.

use std::sync::Mutex;

use lfr_domain::enrol::{Enroller, Enrolment};
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
