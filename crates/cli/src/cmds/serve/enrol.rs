//! Enrolment for imports made in the console: each deployment's model
//! opened over the engine on first use and kept for the server's life.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use lfr_domain::enrol::Enroller;
use lfr_live::enrol::EngineEnroller;

/// The installed models, opened as enrollers when an import needs one.
pub struct InstalledEnrollers {
    /// The models directory (`--models`), or the default one.
    pub models: Option<PathBuf>,
    pub open: Mutex<HashMap<String, Arc<dyn Enroller>>>,
}

impl InstalledEnrollers {
    pub fn new(models: Option<PathBuf>) -> Self {
        Self {
            models,
            open: Mutex::default(),
        }
    }
}

impl lfr_server::api::imports::Enrollers for InstalledEnrollers {
    fn enroller(&self, model: &str) -> Result<Arc<dyn Enroller>, String> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = open.get(model) {
            return Ok(e.clone());
        }
        let files = crate::recognition::model_files_in(self.models.as_deref(), model)
            .map_err(|e| format!("model {model} cannot be opened on this node: {e:#}"))?;
        let e: Arc<dyn Enroller> = Arc::new(
            EngineEnroller::open(&files)
                .map_err(|e| format!("model {model} cannot be opened on this node: {e}"))?,
        );
        open.insert(model.into(), e.clone());
        Ok(e)
    }
}
