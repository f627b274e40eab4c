//! The engine behind watchlist import: grades each reference image and makes
//! its template, through the domain's `Enroller` trait.

use std::sync::Mutex;

use anyhow::Result;
use lfr_domain::enrol::{Enroller, Enrolment};
use lfr_domain::watchlist::{QualityGrade, Template};
use lfr_engine::pipeline::Engine;
use lfr_engine::quality::{Grade, grade_reference};

use crate::Global;
use crate::recognition::EngineArgs;

/// The enroller of the default recognition pipeline (stills settings:
/// full-resolution detection, YuNet5 alignment).
pub fn engine_enroller(g: &Global) -> Result<Box<dyn Enroller>> {
    let args = EngineArgs {
        align: Default::default(),
        threads: 1,
    };
    Ok(Box::new(EngineEnroller {
        engine: Mutex::new(args.open_for_stills(g)?),
    }))
}

/// The engine runs one image at a time; a mutex makes it shareable.
struct EngineEnroller {
    engine: Mutex<Engine>,
}

impl Enroller for EngineEnroller {
    fn algorithm(&self) -> String {
        self.engine.lock().unwrap().algorithm().to_string()
    }

    fn enrol(&self, image: &[u8]) -> Result<Enrolment, String> {
        let img = image::load_from_memory(image)
            .map_err(|e| format!("not a readable JPEG or PNG image: {e}"))?
            .to_rgb8();
        let mut engine = self.engine.lock().unwrap();
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
                    .map_err(|e| e.to_string())?;
                let t = t.remove(0);
                Some(Template {
                    algorithm: t.algorithm.to_string(),
                    vector: t.vector.clone(),
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
