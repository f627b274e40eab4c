//! `lfr models add | remove | export-dlib` and the packages part of
//! `lfr models list`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use lfr_domain::enrol::CalibrationCheck;
use lfr_engine::calibration::Calibration;
use lfr_engine::checks::CheckRecord;
use lfr_engine::describe::Describer;
use lfr_engine::fusion::FusionCalibration;
use lfr_engine::package::{
    BUILTIN_ID, CALIBRATION_FILE, CombinedModel, FUSED_CALIBRATION_FILE, MANIFEST_FILE, Package,
    read_calibration, read_fusion_calibration,
};
use lfr_engine::pipeline::Recogniser;
use lfr_engine::runtime::OrtBackend;
use lfr_models::packages::{Added, Existing, PackageFile};
use lfr_models::{ModelsDir, files};
use serde::Serialize;

/// Licence and notice files travel with the model.
fn is_companion(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["LICENSE", "LICENCE", "NOTICE", "README"]
        .iter()
        .any(|p| upper.starts_with(p))
}

pub fn add(dir: &ModelsDir, src: &Path, json: bool) -> Result<()> {
    let (p, outcome) = checked_add(dir, src, Existing::Refuse)?;
    let id = p.id();
    let (what, path) = describe(&outcome);
    if json {
        println!(
            "{}",
            serde_json::json!({ "id": id, "outcome": what, "dir": path, "algorithm": p.algorithm().as_str(), "calibrated": p.is_calibrated() })
        );
        return Ok(());
    }
    println!("model {id} {what} in {}", path.display());
    println!("  algorithm {}", p.algorithm());
    if !p.is_calibrated() {
        println!(
            "  not calibrated: compute its calibration with `lfr --model {id} calibrate --data LFW_DIR` before recognising with it"
        );
    }
    Ok(())
}

fn describe(outcome: &Added) -> (&'static str, &Path) {
    match outcome {
        Added::Installed(p) => ("installed", p),
        Added::AlreadyInstalled(p) => ("already installed", p),
        Added::Replaced(p) => ("replaced", p),
    }
}

/// Builds and installs every package lfr ships whose descriptor file is
/// installed (`lfr models install` ends with this): the same checks as
/// `lfr models add`, and a shipped package follows the lfr that installs it.
pub fn install_shipped(dir: &ModelsDir, out: &mut dyn Write) -> Result<()> {
    for s in lfr_models::shipped::SHIPPED {
        let why = match dir.verified(s.source) {
            Ok(_) => None,
            Err(lfr_models::ModelsError::Missing { .. }) => {
                Some(format!("its descriptor {} is not installed", s.source))
            }
            Err(e) => Some(e.to_string()),
        };
        if let Some(why) = why {
            writeln!(out, "package {:<14} skipped    {why}", s.id)?;
            continue;
        }
        let stage = tempfile::tempdir()?;
        s.stage(dir, stage.path())?;
        let (p, outcome) = checked_add(dir, stage.path(), Existing::Replace)
            .with_context(|| format!("the shipped package {}", s.id))?;
        let (what, _) = describe(&outcome);
        let calibrated = if p.is_calibrated() {
            "calibrated"
        } else {
            "not calibrated"
        };
        writeln!(
            out,
            "package {:<14} {what:<9}  {} ({calibrated})",
            s.id,
            p.algorithm()
        )?;
    }
    for s in lfr_models::shipped::SHIPPED_COMBINED {
        if let Some(missing) = s.needs.iter().find(|id| {
            dir.package_dir(id)
                .map_or(true, |d| !d.join(MANIFEST_FILE).is_file())
        }) {
            writeln!(
                out,
                "package {:<14} skipped    its component {missing} is not installed",
                s.id
            )?;
            continue;
        }
        let stage = tempfile::tempdir()?;
        let files: Vec<PackageFile> = s
            .stage(stage.path())?
            .into_iter()
            .map(|name| PackageFile { name, sha256: None })
            .collect();
        let outcome =
            lfr_models::packages::add(dir, stage.path(), s.id, &files, Existing::Replace)?;
        let (what, path) = describe(&outcome);
        // Proves it: components unchanged, calibrations its own.
        let Recogniser::Combined(c) = crate::recognition::recogniser(dir, s.id)
            .with_context(|| format!("the shipped combined model {}", s.id))?
        else {
            bail!("the shipped combined model {} did not open as one", s.id);
        };
        read_calibration(path, &c.algorithm(), s.id)?;
        read_fusion_calibration(path, &c.algorithm(), s.id)?;
        writeln!(
            out,
            "package {:<14} {what:<9}  {} (calibrated)",
            s.id,
            c.algorithm()
        )?;
    }
    Ok(())
}

/// Checks the package in `src` (manifest, model hash, calibrations, one
/// chip through the model) and copies it into the models directory.
fn checked_add(dir: &ModelsDir, src: &Path, existing: Existing) -> Result<(Package, Added)> {
    let p = Package::open(src).with_context(|| format!("the package in {}", src.display()))?;
    let id = p.id().to_string();
    // Proves the manifest describes the model: one grey chip through it.
    let backend = OrtBackend::new(&dir.verified(files::ONNXRUNTIME)?, 1)?;
    Describer::onnx(
        &backend,
        &format!("model {id}"),
        &p.read_onnx()?,
        &p.manifest().model,
    )?;
    let mut list = vec![
        PackageFile {
            name: MANIFEST_FILE.into(),
            sha256: None,
        },
        PackageFile {
            name: p.manifest().model.file.clone(),
            sha256: Some(p.manifest().model.sha256.clone()),
        },
    ];
    if p.calibration_path().exists() {
        p.calibration().with_context(|| {
            format!(
                "the package's {CALIBRATION_FILE} (remove it to install the package uncalibrated)"
            )
        })?;
        list.push(PackageFile {
            name: CALIBRATION_FILE.into(),
            sha256: None,
        });
    }
    if p.dir().join(FUSED_CALIBRATION_FILE).exists() {
        p.fusion_calibration().with_context(|| {
            format!("the package's {FUSED_CALIBRATION_FILE} (remove it to install the package without it)")
        })?;
        list.push(PackageFile {
            name: FUSED_CALIBRATION_FILE.into(),
            sha256: None,
        });
    }
    // A package's own record of calibration checks is not carried: what
    // the deployment rule trusts is checked on this machine (`bench lfw
    // --checks-only --record`), or shipped with lfr.
    for e in std::fs::read_dir(src)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_file() && is_companion(&name) {
            list.push(PackageFile { name, sha256: None });
        }
    }
    let outcome = lfr_models::packages::add(dir, src, &id, &list, existing)?;
    // The installed copy holds the same files, each hashed after the copy.
    Ok((p, outcome))
}

pub fn remove(dir: &ModelsDir, id: &str) -> Result<()> {
    if id == BUILTIN_ID {
        bail!("{id} is the built-in model; it cannot be removed");
    }
    let path = lfr_models::packages::remove(dir, id)?;
    println!("model {id} removed from {}", path.display());
    Ok(())
}

pub fn export_dlib(dir: &ModelsDir, out: &Path, id: &str, version: &str) -> Result<()> {
    if out.join(MANIFEST_FILE).exists() {
        bail!(
            "{} already holds a package; choose an empty directory",
            out.display()
        );
    }
    let dat = std::fs::read(dir.verified(files::DLIB_RESNET)?)?;
    let m = lfr_engine::package::export_dlib(&dat, out, id, version)?;
    println!(
        "model {} version {} written to {} ({}, {:?} {:?}, normalised (x - {}) / {})",
        m.id,
        m.version,
        out.display(),
        m.model.file,
        m.model.layout,
        m.model.colour_order,
        m.model.normalisation.mean[0],
        m.model.normalisation.std[0]
    );
    println!("install it with `lfr models add {}`", out.display());
    Ok(())
}

/// One installed package as `lfr models list` shows it.
#[derive(Debug, Serialize)]
pub struct Listed {
    pub id: String,
    pub version: Option<String>,
    pub licence: Option<String>,
    pub provenance: Option<String>,
    /// What its licence forbids, when it forbids operational use.
    pub restriction: Option<String>,
    pub algorithm: Option<String>,
    pub calibrated: bool,
    /// Whether it has the fused calibration the live pipeline needs.
    pub fused: bool,
    /// Why the package cannot be used, if it cannot.
    pub problem: Option<String>,
    /// Whether its calibrations were shown to hold on people they were not
    /// fitted on (`None` until it has both calibrations).
    pub calibration_check: Option<CalibrationCheck>,
    /// Why its record of those checks could not be read, if it could not.
    pub checks_problem: Option<String>,
}

/// What is recorded of the checks of a model's calibrations, once it has
/// both. A record that cannot be read proves nothing: the model counts as
/// not checked, and why is said beside it.
fn checks_of(
    dir: &Path,
    network: &str,
    single: Option<&Calibration>,
    fused: Option<&FusionCalibration>,
) -> (Option<CalibrationCheck>, Option<String>) {
    let (Some(single), Some(fused)) = (single, fused) else {
        return (None, None);
    };
    match CheckRecord::find(Some(dir), network, single, fused) {
        Ok(r) => (Some(lfr_live::enrol::check_of(r)), None),
        Err(e) => (Some(CalibrationCheck::NotChecked), Some(e.to_string())),
    }
}

pub fn listed(dir: &ModelsDir) -> Result<Vec<Listed>> {
    let mut out = Vec::new();
    for id in dir.package_ids()? {
        let path = dir.package_dir(&id)?;
        if CombinedModel::is_combined(&path) {
            out.push(listed_combined(dir, id));
            continue;
        }
        out.push(match Package::open(&path) {
            Ok(p) => {
                let m = p.manifest();
                let cal = p.calibration();
                let fused = p.fusion_calibration();
                let (calibration_check, checks_problem) = checks_of(
                    p.dir(),
                    &p.network(),
                    cal.as_ref().ok(),
                    fused.as_ref().ok(),
                );
                Listed {
                    id,
                    version: Some(m.version.clone()),
                    licence: Some(m.licence.clone()),
                    provenance: Some(m.provenance.clone()),
                    restriction: m.restriction.clone(),
                    algorithm: Some(p.algorithm().to_string()),
                    calibrated: cal.is_ok(),
                    fused: fused.is_ok(),
                    calibration_check,
                    checks_problem,
                    problem: match cal {
                        Ok(_) => None,
                        Err(e) if p.calibration_path().exists() => Some(e.to_string()),
                        Err(_) => None,
                    },
                }
            }
            Err(e) => unusable(id, e.to_string()),
        });
    }
    Ok(out)
}

/// An installed model that cannot be used, and why.
fn unusable(id: String, problem: String) -> Listed {
    Listed {
        id,
        version: None,
        licence: None,
        provenance: None,
        restriction: None,
        algorithm: None,
        calibrated: false,
        fused: false,
        problem: Some(problem),
        calibration_check: None,
        checks_problem: None,
    }
}

fn listed_combined(dir: &ModelsDir, id: String) -> Listed {
    let c = match crate::recognition::recogniser(dir, &id) {
        Ok(Recogniser::Combined(c)) => c,
        Ok(_) => return unusable(id, "not a combined model".into()),
        Err(e) => return unusable(id, format!("{e:#}")),
    };
    let algorithm = c.algorithm();
    let parts: Vec<String> = c
        .manifest()
        .components
        .iter()
        .map(|p| format!("{} x{:.2}", p.model, p.weight))
        .collect();
    let cal = read_calibration(c.dir(), &algorithm, &id);
    let fused = read_fusion_calibration(c.dir(), &algorithm, &id);
    let (calibration_check, checks_problem) = checks_of(
        c.dir(),
        &c.network(),
        cal.as_ref().ok(),
        fused.as_ref().ok(),
    );
    Listed {
        version: Some(c.manifest().version.clone()),
        licence: Some("those of its components".into()),
        provenance: Some(format!("combined: {}", parts.join(" + "))),
        restriction: c.restriction().map(str::to_string),
        algorithm: Some(algorithm.to_string()),
        calibrated: cal.is_ok(),
        fused: fused.is_ok(),
        calibration_check,
        checks_problem,
        problem: match cal {
            Ok(_) => None,
            Err(e) if c.dir().join(CALIBRATION_FILE).exists() => Some(e.to_string()),
            Err(_) => None,
        },
        id,
    }
}

pub fn print_table(dir: &ModelsDir, packages: &[Listed]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\nrecognition models (default {}; packages in {}):",
        lfr_models::DEFAULT_MODEL,
        dir.packages_dir().display()
    )?;
    writeln!(
        out,
        "  {BUILTIN_ID}  v1  CC0-1.0  calibrated  (built in) Davis King (dlib)"
    )?;
    let builtin = lfr_engine::pipeline::algorithm(lfr_engine::align::AlignMethod::YuNet5);
    let shipped = CheckRecord::find(
        None,
        lfr_engine::package::builtin_network(),
        &Calibration::shipped(&builtin)?,
        &FusionCalibration::shipped(&builtin)?,
    )?;
    writeln!(
        out,
        "    calibration {}",
        lfr_live::enrol::check_of(shipped).summary()
    )?;
    for p in packages {
        let or = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
        let state = match (&p.problem, p.calibrated, p.fused) {
            (Some(e), _, _) => format!("UNUSABLE: {e}"),
            (None, true, true) => "calibrated".into(),
            (None, true, false) => {
                "calibrated, not fused (`lfr calibrate --model ID --fused` before deploying it)"
                    .into()
            }
            (None, false, _) => "NOT CALIBRATED (`lfr calibrate --model`)".into(),
        };
        writeln!(
            out,
            "  {}  v{}  {}  {state}  {}",
            p.id,
            or(&p.version),
            or(&p.licence),
            or(&p.provenance)
        )?;
        if let Some(r) = &p.restriction {
            writeln!(
                out,
                "    RESTRICTED: {r}; a deployment uses it only with `deployment set-algorithm --licence REF`"
            )?;
        }
        if let Some(c) = &p.calibration_check {
            let allowed = match c.holds() {
                true => String::new(),
                false => "; a deployment uses it only with `deployment set-algorithm --accept-calibration REASON`".into(),
            };
            writeln!(out, "    calibration {}{allowed}", c.summary())?;
        }
        if let Some(e) = &p.checks_problem {
            writeln!(
                out,
                "    its record of calibration checks cannot be read: {e}"
            )?;
        }
    }
    Ok(())
}
