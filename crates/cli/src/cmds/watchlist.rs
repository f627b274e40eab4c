//! `lfr watchlist`: compile, import, approve and inspect watchlists.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use lfr_domain::enrol::Enroller;
use lfr_domain::ids::{DeploymentId, InclusionId, WatchlistId};
use lfr_domain::watchlist::WatchlistKind;
use lfr_live::enrol::EngineEnroller;
use lfr_store::import::{ImportSource, prepare, validate};

use super::session::{block_on, print_json, show_opt_time, signed_in, table};
use crate::Global;

/// The enroller of the watchlist's deployment's recognition model (stills
/// settings, the default alignment), as `lfr serve` uses it. `--model`, if
/// given, must name that model: a deployment holds one algorithm's templates.
async fn enroller(
    g: &Global,
    store: &lfr_store::Store,
    me: &lfr_domain::role::User,
    watchlist: WatchlistId,
) -> Result<EngineEnroller> {
    let w = store.watchlist(me, watchlist).await?;
    let d = store.deployment(me, w.deployment).await?;
    let model = &d.recognition.model;
    if let Some(asked) = g.model.as_deref().filter(|m| m != model) {
        anyhow::bail!(
            "W{watchlist} belongs to D{}, which recognises with model {model}, not {asked}; to change it, `lfr deployment set-algorithm D{} {asked}` re-enrols all its watchlists",
            d.id,
            d.id
        );
    }
    Ok(EngineEnroller::open(&crate::recognition::model_files_for(
        g, model,
    )?)?)
}

#[derive(Subcommand, Debug)]
pub enum WatchlistCmd {
    /// Create an empty watchlist for a deployment (Silver or Gold Commander).
    Create {
        deployment: DeploymentId,
        #[arg(long)]
        name: String,
        /// A Blue Watchlist of consenting volunteers, for measuring the True Recognition Rate.
        #[arg(long)]
        blue: bool,
    },
    /// Import subjects from a directory or .tar/.tar.gz holding manifest.json and images.
    /// All or nothing: every problem is listed and nothing is stored if there is one.
    Import {
        watchlist: WatchlistId,
        path: PathBuf,
        /// Check everything an import checks (the manifest, and every image
        /// decoded, graded and templated), and store nothing.
        #[arg(long)]
        check: bool,
    },
    /// Remake every template from the stored reference images with the
    /// deployment's recognition model (after an engine upgrade). All or nothing.
    Reenrol { watchlist: WatchlistId },
    /// Approve the watchlist as it now stands (Authorising Officer). Any later change needs a new approval.
    Approve {
        watchlist: WatchlistId,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Remove one inclusion (Silver or Gold Commander).
    Remove {
        inclusion: InclusionId,
        #[arg(long)]
        reason: String,
    },
    /// List a deployment's watchlists with their sizes (counted as inclusions).
    List { deployment: DeploymentId },
    /// Show a watchlist's inclusions (names only for commanders and AOs; the viewing is audited).
    Show { watchlist: WatchlistId },
}

pub fn run(g: &Global, cmd: WatchlistCmd) -> Result<()> {
    block_on(async move {
        let (store, me) = signed_in(g).await?;
        match cmd {
            WatchlistCmd::Create {
                deployment,
                name,
                blue,
            } => {
                let kind = if blue {
                    WatchlistKind::Blue
                } else {
                    WatchlistKind::Standard
                };
                let w = store.create_watchlist(&me, deployment, kind, &name).await?;
                if g.json {
                    print_json(&w)
                } else {
                    println!(
                        "W{}: {} watchlist `{}` for D{}",
                        w.id, w.kind, w.name, w.deployment
                    );
                    Ok(())
                }
            }
            WatchlistCmd::Import {
                watchlist,
                path,
                check,
            } => {
                let w = store.watchlist(&me, watchlist).await?;
                let src = ImportSource::open(&path)?;
                // The manifest first: its problems need no engine.
                validate(&src, w.kind)?;
                let enroller = enroller(g, &store, &me, watchlist).await?;
                let prepared = prepare(&src, w.kind, &enroller)?;
                if check {
                    let graded: Vec<_> = prepared
                        .iter()
                        .flat_map(|e| {
                            e.images.iter().map(|i| {
                                (
                                    e.entry.reference.clone(),
                                    i.file.clone(),
                                    i.grade.to_string(),
                                )
                            })
                        })
                        .collect();
                    if g.json {
                        let images: Vec<_> = graded
                            .iter()
                            .map(|(r, f, q)| serde_json::json!({ "ref": r, "file": f, "grade": q }))
                            .collect();
                        return print_json(&serde_json::json!({
                            "valid": true, "inclusions": prepared.len(), "images": images,
                        }));
                    }
                    for (r, f, q) in &graded {
                        println!("ref {r} image {f}: {q}");
                    }
                    println!(
                        "{}: ready to import, {} inclusions, {} images, every one enrolled with {} (nothing stored)",
                        path.display(),
                        prepared.len(),
                        graded.len(),
                        enroller.algorithm()
                    );
                    return Ok(());
                }
                let n = store.commit_import(&me, watchlist, &prepared).await?;
                if g.json {
                    return print_json(&serde_json::json!({ "imported": n }));
                }
                println!(
                    "imported {n} inclusions into W{watchlist}; an Authorising Officer must now approve it (`lfr watchlist approve W{watchlist}`)"
                );
                Ok(())
            }
            WatchlistCmd::Reenrol { watchlist } => {
                let enroller = enroller(g, &store, &me, watchlist).await?;
                let n = store.reenrol_watchlist(&me, watchlist, &enroller).await?;
                if g.json {
                    return print_json(
                        &serde_json::json!({ "reenrolled": n, "algorithm": enroller.algorithm() }),
                    );
                }
                println!(
                    "W{watchlist}: {n} templates remade with {}",
                    enroller.algorithm()
                );
                Ok(())
            }
            WatchlistCmd::Approve { watchlist, note } => {
                let w = store.approve_watchlist(&me, watchlist, &note).await?;
                if g.json {
                    print_json(&w)
                } else {
                    println!("W{} approved at revision {}", w.id, w.revision);
                    Ok(())
                }
            }
            WatchlistCmd::Remove { inclusion, reason } => {
                store.remove_inclusion(&me, inclusion, &reason).await?;
                println!("I{inclusion} removed; the watchlist needs approving again");
                Ok(())
            }
            WatchlistCmd::List { deployment } => {
                let wls = store.watchlists(&me, deployment).await?;
                if g.json {
                    return print_json(
                        &wls.iter()
                            .map(|(w, n)| serde_json::json!({ "watchlist": w, "inclusions": n }))
                            .collect::<Vec<_>>(),
                    );
                }
                let rows: Vec<Vec<String>> = wls
                    .iter()
                    .map(|(w, n)| {
                        vec![
                            format!("W{}", w.id),
                            w.kind.to_string(),
                            w.name.clone(),
                            n.to_string(),
                            w.revision.to_string(),
                            match &w.approval {
                                Some(a) if a.revision == w.revision => {
                                    format!("approved by U{}", a.by)
                                }
                                Some(_) => "changed since approval".into(),
                                None => "not approved".into(),
                            },
                            show_opt_time(w.purged_at),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "id",
                        "kind",
                        "name",
                        "inclusions",
                        "revision",
                        "review",
                        "purged",
                    ],
                    &rows,
                );
                Ok(())
            }
            WatchlistCmd::Show { watchlist } => {
                let incs = store.inclusions(&me, watchlist).await?;
                if g.json {
                    return print_json(&incs);
                }
                let rows: Vec<Vec<String>> = incs
                    .iter()
                    .map(|i| {
                        vec![
                            format!("I{}", i.inclusion.id),
                            i.reference.clone(),
                            i.name.clone().unwrap_or_else(|| "(hidden)".into()),
                            i.inclusion.category.to_string(),
                            if i.inclusion.under_18 {
                                "yes".into()
                            } else {
                                "no".into()
                            },
                            i.grades.join(","),
                            i.inclusion.justification.clone(),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "id",
                        "ref",
                        "name",
                        "category",
                        "under 18",
                        "image grades",
                        "justification",
                    ],
                    &rows,
                );
                Ok(())
            }
        }
    })
}
