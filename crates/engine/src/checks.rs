//! The record of a calibration's checks on people it was not fitted on
//! (`lfr bench lfw --checks-only --record`). A threshold stands for the
//! false match rate it names only where they held, so a deployment takes a
//! model without such a record, or with failed checks, only with a recorded
//! reason (`lfr_domain::policy::model_calibration_holds`).
//!
//! A record names the exact calibrations it checked, and the network it
//! checked them with (the weights and how they are run), by their SHA-256:
//! a model recalibrated, given other weights or run another way since has
//! no record until it is checked again. The
//! records of the calibrations lfr ships are built in, so a models
//! directory installed before they existed still finds them.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::calibration::{Calibration, CalibrationError};
use crate::fusion::FusionCalibration;
use crate::template::Algorithm;

/// Name of the record in a package's (or combined model's) directory.
pub const FILE: &str = "checks.json";

/// A record counts only if its single-image check covered at least this
/// many pairs of people: LFW people N-Z give 1,546,153, while a check on a
/// few images finds nothing beyond any threshold and so "holds" everywhere.
pub const MIN_PAIRS_OF_PEOPLE: u64 = 1_000_000;

/// The records of the shipped calibrations, one file per model.
const SHIPPED: &[&str] = &[
    include_str!("../calibration/checks/dlib-resnet-v1.json"),
    include_str!("../calibration/checks/sface.json"),
    include_str!("../calibration/checks/sface-dlib.json"),
    include_str!("../calibration/checks/w600k-mbf.json"),
    include_str!("../calibration/checks/omz-face-reid.json"),
];

/// What one run of the checks found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRecord {
    pub model: String,
    pub algorithm: Algorithm,
    /// SHA-256 of the network the checks ran
    /// ([`crate::package::network_of`]: the weights and how they are run;
    /// a combined model's components' in order, joined by `+`): a package
    /// that reuses a checked model's id and calibrations over other
    /// weights, or runs them another way, does not inherit its record.
    /// Empty in records written before it was kept.
    #[serde(default)]
    pub network: String,
    /// SHA-256 of the single-image calibration checked.
    pub calibration: String,
    /// SHA-256 of the fused calibration checked (cohort and curves).
    pub fused_calibration: String,
    /// The people the rates were measured on.
    pub on: String,
    /// Pairs of different people in the single-image check.
    pub pairs_of_people: u64,
    /// When, and with what, so that anyone can run them again.
    pub date: String,
    pub command: String,
    pub held: usize,
    pub of: usize,
    /// Each rate that did not hold, in words.
    #[serde(default)]
    pub not_held: Vec<String>,
}

impl CheckRecord {
    pub fn from_json(text: &str) -> Result<Self, CalibrationError> {
        let r: Self = serde_json::from_str(text)
            .map_err(|e| CalibrationError::Invalid(format!("calibration checks: {e}")))?;
        r.validate()?;
        Ok(r)
    }

    /// A record proves something only over enough pairs of people, and its
    /// counts must agree with the failures it lists.
    pub fn validate(&self) -> Result<(), CalibrationError> {
        if self.network.is_empty() {
            return Err(CalibrationError::Invalid(format!(
                "this record of calibration checks does not name the network it checked (it predates that); run the checks again: `lfr --model {} bench lfw --data LFW_DIR --checks-only --record`",
                self.model
            )));
        }
        if self.pairs_of_people < MIN_PAIRS_OF_PEOPLE {
            return Err(CalibrationError::Invalid(format!(
                "calibration checks on {} pairs of people prove nothing; a record needs at least {MIN_PAIRS_OF_PEOPLE} (LFW people N-Z give 1,546,153)",
                self.pairs_of_people
            )));
        }
        if self.held > self.of || self.of == 0 || self.not_held.len() != self.of - self.held {
            return Err(CalibrationError::Invalid(format!(
                "calibration checks: {} of {} held, with {} failures listed",
                self.held,
                self.of,
                self.not_held.len()
            )));
        }
        Ok(())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a record serialises") + "\n"
    }

    /// Every checked rate held.
    pub fn holds(&self) -> bool {
        self.held == self.of
    }

    /// The record of exactly these calibrations and this network (by
    /// SHA-256, `network` as [`CheckRecord::network`]): the one shipped with lfr,
    /// which no file can replace, else the one in the model's directory
    /// `dir`. A record in `dir` that cannot be read is an error, not a
    /// missing record.
    pub fn find(
        dir: Option<&Path>,
        network: &str,
        single: &Calibration,
        fused: &FusionCalibration,
    ) -> Result<Option<Self>, CalibrationError> {
        Self::find_by_digest(
            dir,
            &single.algorithm,
            network,
            &single.digest(),
            &fused.digest(),
        )
    }

    fn find_by_digest(
        dir: Option<&Path>,
        algorithm: &Algorithm,
        network: &str,
        calibration: &str,
        fused: &str,
    ) -> Result<Option<Self>, CalibrationError> {
        let is_of = |r: &Self| {
            r.algorithm == *algorithm
                && r.network == network
                && r.calibration == calibration
                && r.fused_calibration == fused
        };
        if let Some(r) = Self::shipped()?.into_iter().find(is_of) {
            return Ok(Some(r));
        }
        let Some(path) = dir.map(|d| d.join(FILE)).filter(|p| p.is_file()) else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            CalibrationError::Invalid(format!("cannot read {}: {e}", path.display()))
        })?;
        let r = Self::from_json(&text)
            .map_err(|e| CalibrationError::Invalid(format!("{}: {e}", path.display())))?;
        Ok(Some(r).filter(is_of))
    }

    /// Every shipped record (for tests that hold them to the shipped calibrations).
    pub fn shipped() -> Result<Vec<Self>, CalibrationError> {
        SHIPPED.iter().map(|t| Self::from_json(t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> CheckRecord {
        CheckRecord {
            model: "m".into(),
            algorithm: Algorithm("d/a/m".into()),
            network: "w1".into(),
            calibration: "c1".into(),
            fused_calibration: "f1".into(),
            on: "LFW people N-Z".into(),
            pairs_of_people: 1_546_153,
            date: "2026-12-07".into(),
            command: "lfr --model m bench lfw --checks-only --record".into(),
            held: 44,
            of: 45,
            not_held: vec!["single image at score 0.4".into()],
        }
    }

    #[test]
    fn a_record_round_trips_and_its_counts_must_agree() {
        let r = record();
        assert_eq!(CheckRecord::from_json(&r.to_json()).unwrap(), r);
        assert!(!r.holds());
        let mut bad = r.clone();
        bad.not_held.clear();
        assert!(CheckRecord::from_json(&bad.to_json()).is_err());
        bad.held = 46;
        assert!(CheckRecord::from_json(&bad.to_json()).is_err());
        let mut few = r.clone();
        few.pairs_of_people = 780;
        let e = CheckRecord::from_json(&few.to_json()).unwrap_err();
        assert!(e.to_string().contains("prove nothing"), "{e}");
        // A record that does not name the network it checked proves
        // nothing about the network a model runs now.
        let mut old = serde_json::to_value(&r).unwrap();
        old.as_object_mut().unwrap().remove("network");
        let e = CheckRecord::from_json(&old.to_string()).unwrap_err();
        assert!(e.to_string().contains("run the checks again"), "{e}");
        assert!(CheckRecord::from_json("{").is_err());
    }

    /// Each shipped calibration has its record: a model recalibrated
    /// without its checks run again fails here, not at a deployment.
    #[test]
    fn every_shipped_calibration_has_its_record() {
        use lfr_models::shipped::{SHIPPED as PACKAGES, SHIPPED_COMBINED};
        let file = |files: &[(&str, &'static str)], name: &str| {
            files.iter().find(|(n, _)| *n == name).unwrap().1
        };
        let builtin = (
            "dlib-resnet-v1",
            crate::package::builtin_network().to_string(),
            include_str!("../calibration/yunet-n-dynamic.align-yunet5-v1.dlib-resnet-v1.json"),
            include_str!(
                "../calibration/yunet-n-dynamic.align-yunet5-v1.dlib-resnet-v1.fused.json"
            ),
        );
        // The network each shipped package installs, as its manifest says.
        let manifest_network = |files: &[(&str, &'static str)]| {
            let m = crate::package::Manifest::parse(file(files, "manifest.json")).unwrap();
            crate::package::network_of(&m)
        };
        let network_of_model = |id: &str| match id {
            "dlib-resnet-v1" => crate::package::builtin_network().to_string(),
            id => manifest_network(PACKAGES.iter().find(|p| p.id == id).unwrap().files),
        };
        let packages = PACKAGES
            .iter()
            .map(|p| (p.id, manifest_network(p.files), p.files));
        let combined = SHIPPED_COMBINED.iter().map(|c| {
            let m =
                crate::package::CombinedManifest::parse(file(c.files, "combined.json")).unwrap();
            let parts: Vec<String> = m
                .components
                .iter()
                .map(|p| network_of_model(&p.model))
                .collect();
            (c.id, parts.join("+"), c.files)
        });
        let shipped: Vec<(&str, String, &str, &str)> = std::iter::once(builtin)
            .chain(packages.chain(combined).map(|(id, network, f)| {
                (
                    id,
                    network,
                    file(f, "calibration.json"),
                    file(f, "calibration.fused.json"),
                )
            }))
            .collect();
        assert_eq!(shipped.len(), SHIPPED.len(), "one record per shipped model");
        for (id, network, single, fused) in shipped {
            let single = Calibration::from_json(single).unwrap();
            let fused = FusionCalibration::from_json(fused).unwrap();
            let r = CheckRecord::find(None, &network, &single, &fused)
                .unwrap()
                .unwrap_or_else(|| {
                    panic!("{id}: no record of checks for the shipped calibrations; run `lfr --model {id} bench lfw --data LFW_DIR --checks-only --record crates/engine/calibration/checks/{id}.json`")
                });
            assert_eq!(r.model, id);
        }
    }

    #[test]
    fn a_record_counts_only_for_the_calibrations_it_checked() {
        let dir = tempfile::tempdir().unwrap();
        let r = record();
        std::fs::write(dir.path().join(FILE), r.to_json()).unwrap();
        let a = Algorithm("d/a/m".into());
        let found = |w: &str, c: &str, f: &str| {
            CheckRecord::find_by_digest(Some(dir.path()), &a, w, c, f).unwrap()
        };
        assert_eq!(found("w1", "c1", "f1"), Some(r));
        assert_eq!(found("w1", "c2", "f1"), None);
        assert_eq!(found("w1", "c1", "f2"), None);
        // The same calibrations over another network have no record.
        assert_eq!(found("w2", "c1", "f1"), None);
        // A file cannot stand in for the record of a shipped calibration.
        let shipped = CheckRecord::shipped()
            .unwrap()
            .into_iter()
            .find(|r| r.model == "omz-face-reid")
            .unwrap();
        assert!(!shipped.holds());
        let mut forged = shipped.clone();
        (forged.held, forged.not_held) = (forged.of, vec![]);
        std::fs::write(dir.path().join(FILE), forged.to_json()).unwrap();
        let got = CheckRecord::find_by_digest(
            Some(dir.path()),
            &shipped.algorithm,
            &shipped.network,
            &shipped.calibration,
            &shipped.fused_calibration,
        )
        .unwrap();
        assert_eq!(got, Some(shipped.clone()));
        std::fs::write(dir.path().join(FILE), "not json").unwrap();
        assert!(CheckRecord::find_by_digest(Some(dir.path()), &a, "w1", "c1", "f1").is_err());
        // Nor does the shipped record follow its calibrations onto another
        // network: a package that reuses OMZ's id, version and calibration
        // files over another network is not checked.
        let other = CheckRecord::find_by_digest(
            None,
            &shipped.algorithm,
            &"0".repeat(64),
            &shipped.calibration,
            &shipped.fused_calibration,
        )
        .unwrap();
        assert_eq!(other, None);
    }
}
