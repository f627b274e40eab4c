//! `lfr models combine`: a combined model of several installed descriptors
//! (fusion across algorithms), its weights fitted on LFW people A-M.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use lfr_engine::align::AlignMethod;
use lfr_engine::package::{COMBINED_FILE, COMBINED_FORMAT, CombinedManifest, Component};
use lfr_eval::combine::{IMAGES_PER_PERSON, fit_weights, join};
use lfr_eval::exclusions::Exclusions;
use lfr_models::ModelsDir;
use lfr_models::packages::{Existing, PackageFile};

use crate::Global;
use crate::cmds::bench::{LfwData, describe_lfw};
use crate::recognition::{EngineArgs, recogniser};

/// False match rate at which the weights maximise the true match rate.
const FIT_FMR: f64 = 1e-5;
/// Step of the weight grid.
const FIT_STEP: f32 = 0.05;

#[derive(clap::Args, Debug)]
pub struct CombineArgs {
    /// The combined model's id, which `--model` will name.
    #[arg(long)]
    id: String,
    #[arg(long, default_value = "1")]
    package_version: String,
    /// A component: an installed model's id, optionally with its LFW
    /// descriptor cache (`MODEL=FILE`, as `lfr --model MODEL bench lfw
    /// --cache FILE` keeps it). Two to four, in order.
    #[arg(long = "component", value_name = "MODEL[=CACHE]", required = true)]
    components: Vec<String>,
    /// Use these weights (comma-separated, one per component) instead of
    /// fitting them.
    #[arg(long, value_delimiter = ',')]
    weights: Option<Vec<f32>>,
    /// The LFW folder (images/ and pairs.txt).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Write the combined model's LFW descriptors here, for
    /// `lfr --model ID calibrate --cache FILE --fused`.
    #[arg(long, value_name = "FILE")]
    cache_out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    workers: Option<usize>,
    /// Replace an installed model of the same id.
    #[arg(long)]
    replace: bool,
}

pub fn run(g: &Global, dir: &ModelsDir, args: CombineArgs) -> Result<()> {
    let n = args.components.len();
    if !(2..=lfr_engine::package::MAX_COMPONENTS).contains(&n) {
        bail!("give two to four --component MODEL[=CACHE]; {n} given");
    }
    let mut described = Vec::new();
    for spec in &args.components {
        let (model, cache) = match spec.split_once('=') {
            Some((m, c)) => (m.to_string(), Some(PathBuf::from(c))),
            None => (spec.clone(), None),
        };
        let g = Global {
            model: Some(model.clone()),
            ..g.clone()
        };
        let data = LfwData {
            data: args.data.clone(),
            cache,
            workers: args.workers,
            max_images: None,
            engine: EngineArgs {
                align: AlignMethod::YuNet5,
                threads: 1,
            },
        };
        let (algorithm, set, _) = describe_lfw(&g, &data, false)
            .with_context(|| format!("describing LFW with {model}"))?;
        described.push((model, algorithm, set));
    }
    let sets: Vec<&[_]> = described.iter().map(|(_, _, s)| s.as_slice()).collect();
    let (weights, fitted) = match &args.weights {
        Some(w) => {
            if w.len() != n {
                bail!("--weights gives {} weights for {n} components", w.len());
            }
            let sum: f32 = w.iter().sum();
            (
                w.iter().map(|x| x / sum).collect::<Vec<_>>(),
                "given by hand (`lfr models combine --weights`)".to_string(),
            )
        }
        None => {
            eprintln!("fitting the weights on LFW people A-M...");
            let threads = args
                .workers
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            let fit = fit_weights(&sets, &Exclusions::lfw(), FIT_FMR, FIT_STEP, threads)
                .map_err(anyhow::Error::msg)?;
            let alone: Vec<String> = described
                .iter()
                .zip(&fit.alone)
                .map(|((m, _, _), t)| format!("{m} alone {t:.3}"))
                .collect();
            let text = format!(
                "the weights (grid of step {FIT_STEP}) that maximise the true match rate at false match rate {FIT_FMR:e} on LFW people A-M less lfr's exclusion list, at most {IMAGES_PER_PERSON} images a person, each person weighing one ({} people, {} genuine and {} impostor image pairs): true match rate {:.3} ({})",
                fit.people,
                fit.genuine_pairs,
                fit.impostor_pairs,
                fit.tmr,
                alone.join(", ")
            );
            println!("{text}");
            (fit.weights, text)
        }
    };
    let manifest = CombinedManifest {
        format: COMBINED_FORMAT,
        id: args.id.clone(),
        version: args.package_version.clone(),
        description: format!(
            "{} combined: one template of each face's descriptors, compared by the weighted sum of their cosine similarities",
            described
                .iter()
                .map(|(m, _, _)| m.as_str())
                .collect::<Vec<_>>()
                .join(" + ")
        ),
        components: described
            .iter()
            .zip(&weights)
            .map(|((model, algorithm, _), w)| Component {
                model: model.clone(),
                algorithm: algorithm.clone(),
                weight: *w,
            })
            .collect(),
        fitted,
    };
    manifest.validate()?;
    let stage = tempfile::tempdir()?;
    std::fs::write(stage.path().join(COMBINED_FILE), manifest.to_json())?;
    let existing = if args.replace {
        Existing::Replace
    } else {
        Existing::Refuse
    };
    let files = [PackageFile {
        name: COMBINED_FILE.into(),
        sha256: None,
    }];
    lfr_models::packages::add(dir, stage.path(), &manifest.id, &files, existing)?;
    // Proves it opens: every component installed and unchanged.
    recogniser(dir, &manifest.id)?;
    let algorithm = manifest.algorithm();
    println!("combined model {} installed: {algorithm}", manifest.id);
    for c in &manifest.components {
        println!("  {:<16} weight {:.2}", c.model, c.weight);
    }
    if let Some(out) = &args.cache_out {
        let pairs: Vec<(&[_], f32)> = sets.iter().copied().zip(weights.iter().copied()).collect();
        lfr_eval::faceset::save(out, &algorithm, &join(&pairs))?;
        println!("its LFW descriptors written to {}", out.display());
    }
    println!(
        "calibrate it before recognising with it: `lfr --model {} calibrate --data {} --fused{}`",
        manifest.id,
        args.data.display(),
        args.cache_out
            .as_ref()
            .map(|c| format!(" --cache {}", c.display()))
            .unwrap_or_default()
    );
    Ok(())
}
