//! Published post-deployment reports: the public page shows them to anyone.
//!
//! A report is produced by the store (`Store::public_report`, which checks the
//! role and audits) from figures and public facts only; publishing writes it
//! as one JSON file per deployment in the publish directory, so the public
//! page reads no database and a web host can serve the same files.

use std::path::PathBuf;

use anyhow::Context;
use lfr_domain::report::PublicReport;

pub struct Published {
    dir: PathBuf,
}

impl Published {
    pub fn open(dir: PathBuf) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir).with_context(|| {
            format!(
                "cannot create the publish directory {}; pass --publish-dir",
                dir.display()
            )
        })?;
        Ok(Self { dir })
    }

    /// Writes (or replaces) the report of its deployment, atomically.
    pub fn publish(&self, r: &PublicReport) -> anyhow::Result<()> {
        let name = format!("{}.json", r.deployment);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, serde_json::to_vec_pretty(r)?)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, self.dir.join(&name))
            .with_context(|| format!("cannot publish {name} in {}", self.dir.display()))?;
        Ok(())
    }

    /// Every published report, newest deployment first. Files that do not
    /// read as reports are skipped (and logged), never shown half-read.
    pub fn list(&self) -> Vec<PublicReport> {
        let mut out: Vec<PublicReport> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                let n = e.file_name();
                let n = n.to_string_lossy();
                n.starts_with('D') && n.ends_with(".json")
            })
            .filter_map(|e| {
                let bytes = std::fs::read(e.path()).ok()?;
                match serde_json::from_slice(&bytes) {
                    Ok(r) => Some(r),
                    Err(err) => {
                        tracing::warn!("{} is not a report: {err}", e.path().display());
                        None
                    }
                }
            })
            .collect();
        out.sort_by_key(|r: &PublicReport| {
            std::cmp::Reverse(r.deployment[1..].parse::<i64>().unwrap_or(0))
        });
        out
    }

    pub fn get(&self, deployment: &str) -> Option<PublicReport> {
        self.list().into_iter().find(|r| r.deployment == deployment)
    }
}
