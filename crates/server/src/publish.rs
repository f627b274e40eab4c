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
        // A hand-edited file may hold any deployment id, even an empty one.
        out.sort_by_key(|r: &PublicReport| {
            let n = r.deployment.get(1..).and_then(|n| n.parse::<i64>().ok());
            std::cmp::Reverse(n.unwrap_or(0))
        });
        out
    }

    pub fn get(&self, deployment: &str) -> Option<PublicReport> {
        self.list().into_iter().find(|r| r.deployment == deployment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_with_an_odd_deployment_id_is_listed_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let p = Published::open(dir.path().to_path_buf()).unwrap();
        let mut v = serde_json::json!({
            "deployment": "D7", "location": "Queen Street", "use_case": "event",
            "date": "2026-11-22", "started_at": null, "ended_at": null,
            "duration_minutes": null, "assets": 1, "style": "van",
            "watchlist_inclusions": 0, "minimum_threshold_authorised": null,
            "faces_scanned": 0, "alerts": 0, "positive_alerts_confirmed": 0,
            "positive_alerts_unconfirmed": 0, "false_alerts_confirmed": 0,
            "false_alerts_unconfirmed": 0, "false_alert_rate": null,
            "policing_outcomes": {}
        });
        let good: PublicReport = serde_json::from_value(v.clone()).unwrap();
        p.publish(&good).unwrap();
        v["deployment"] = "".into();
        std::fs::write(dir.path().join("D.json"), v.to_string()).unwrap();
        let listed = p.list();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].deployment, "D7");
    }
}
