//! `lfr deployment`: from application to the deployment record.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use lfr_domain::deployment::{Application, AssessmentKind, Deployment, DeploymentStyle, UseCase};
use lfr_domain::ids::DeploymentId;
use lfr_domain::policy::DEFAULT_MINIMUM_THRESHOLD;
use lfr_store::deployments::{Grant, ReviewInput};

use super::session::{
    block_on, fields, parse_time, print_json, show_opt_time, show_time, signed_in, table,
};
use crate::Global;

#[derive(Subcommand, Debug)]
pub enum DeploymentCmd {
    /// Apply for a deployment (Silver or Gold Commander). It recognises with
    /// the model --model names, else the default (`lfr models list`).
    Apply(Box<ApplyArgs>),
    /// Attach an assessment document: cia, eia, dpia or camera_self_assessment.
    Attach {
        deployment: DeploymentId,
        #[arg(long)]
        kind: AssessmentKind,
        file: PathBuf,
    },
    /// Grant authority (Authorising Officer, Superintendent or above, trained).
    Authorise {
        deployment: DeploymentId,
        /// Why the use is lawful, necessary and proportionate.
        #[arg(long)]
        rationale: String,
        /// Start of the authority (default: the application's start).
        #[arg(long)]
        from: Option<String>,
        /// End of the authority, at most 7 days after its start (default: the application's end).
        #[arg(long)]
        until: Option<String>,
        /// Lowest Similarity Score threshold allowed.
        #[arg(long, default_value_t = DEFAULT_MINIMUM_THRESHOLD)]
        minimum_threshold: f64,
        /// Why the minimum is below the default 0.64 (required then; recorded
        /// in the authority and the audit log).
        #[arg(long, value_name = "TEXT")]
        minimum_threshold_reason: Option<String>,
        /// Urgent verbal authority, to be confirmed in writing by this time (at most 72 hours).
        #[arg(long, value_name = "TIME")]
        verbal_confirm_by: Option<String>,
    },
    /// Confirm urgent verbal authority in writing (Authorising Officer).
    Confirm { deployment: DeploymentId },
    /// Start recognition (Silver or Gold Commander).
    Start { deployment: DeploymentId },
    /// Suspend recognition (Silver or Gold Commander).
    Suspend {
        deployment: DeploymentId,
        #[arg(long)]
        reason: String,
    },
    /// Resume after a suspension (Silver or Gold Commander).
    Resume { deployment: DeploymentId },
    /// End early (Silver or Gold Commander).
    Terminate {
        deployment: DeploymentId,
        #[arg(long)]
        reason: String,
    },
    /// End as planned (Silver or Gold Commander).
    Conclude { deployment: DeploymentId },
    /// Record a review while the deployment runs (Silver or Gold Commander).
    Review {
        deployment: DeploymentId,
        #[arg(long)]
        legality: String,
        #[arg(long)]
        necessity: String,
        #[arg(long)]
        proportionality: String,
        #[arg(long)]
        performance: String,
        #[arg(long)]
        engagements: String,
        /// The review finds the deployment should not continue: it is suspended.
        #[arg(long)]
        stop: bool,
    },
    /// Cancel the authority after the deployment ends (Authorising Officer).
    Cancel { deployment: DeploymentId },
    /// Withdraw the authority of a deployment that has not ended
    /// (Authorising Officer): recognition stops and the deployment ends now.
    Withdraw {
        deployment: DeploymentId,
        /// Why the authority is withdrawn (required; recorded and audited).
        #[arg(long)]
        reason: String,
    },
    /// Record that the deployment record went to the AO (due within 31 days of the end).
    Record {
        deployment: DeploymentId,
        #[arg(long)]
        note: String,
    },
    /// Change the recognition model (Silver or Gold Commander; not while active):
    /// every watchlist of the deployment is re-enrolled from its reference
    /// images with the new model, all or nothing.
    SetAlgorithm {
        deployment: DeploymentId,
        /// `dlib-resnet-v1` or an installed package's id (`lfr models list`).
        model: String,
        /// For a model whose weights' licence forbids operational use (shown
        /// as RESTRICTED by `lfr models list`): the reference of the licence
        /// that allows this deployment to use it, recorded in the audit log.
        #[arg(long, value_name = "REF")]
        licence: Option<String>,
        /// For a model whose calibration is not shown to hold on people it
        /// was not fitted on (`lfr models list` says): why this deployment
        /// may use it anyway, recorded in the audit log.
        #[arg(long, value_name = "REASON")]
        accept_calibration: Option<String>,
    },
    /// List deployments.
    List,
    /// Show one deployment: application, authority, reviews, documents, what is owed.
    Show { deployment: DeploymentId },
    /// What is owed or overdue across deployments: reviews, confirmations, records.
    Outstanding,
    /// Who works on the deployment; `--add` and `--remove` change it (its
    /// Silver or Gold Commander). Silver Commanders, Operators, Engagement
    /// Officers and System Engineers see a deployment only from its team.
    Team {
        deployment: DeploymentId,
        /// Put these users on the team.
        #[arg(long, value_name = "USER")]
        add: Vec<String>,
        /// Take these users off the team (at once).
        #[arg(long, value_name = "USER")]
        remove: Vec<String>,
    },
}

#[derive(Args, Debug)]
pub struct ApplyArgs {
    /// Read the whole application from a JSON file (fields as in `lfr deployment show --json`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["location", "use_case"])]
    pub from_file: Option<PathBuf>,
    /// Where: the Zone of Recognition in words an officer knows (required).
    #[arg(long, required_unless_present = "from_file")]
    pub location: Option<String>,
    /// proactive, event or incident (required).
    #[arg(long, required_unless_present = "from_file")]
    pub use_case: Option<UseCase>,
    /// van or wired.
    #[arg(long, default_value = "van")]
    pub style: DeploymentStyle,
    /// Number of cameras or vans.
    #[arg(long, default_value_t = 1)]
    pub assets: u32,
    /// When recognition may begin: RFC 3339, `now`, or `+2h` (required).
    #[arg(long, required_unless_present = "from_file")]
    pub starts: Option<String>,
    /// When it must end: RFC 3339 or `+8h`; authority covers at most 7 days (required).
    #[arg(long, required_unless_present = "from_file")]
    pub ends: Option<String>,
    /// The legitimate aim pursued (required).
    #[arg(long, required_unless_present = "from_file")]
    pub legitimate_aim: Option<String>,
    /// The legal basis relied on (required).
    #[arg(long, required_unless_present = "from_file")]
    pub legal_basis: Option<String>,
    /// Why LFR is necessary here (required).
    #[arg(long, required_unless_present = "from_file")]
    pub necessity: Option<String>,
    /// Why its intrusion is proportionate (required).
    #[arg(long, required_unless_present = "from_file")]
    pub proportionality: Option<String>,
    /// Safeguards in place: signage, adjudication, retention (required).
    #[arg(long, required_unless_present = "from_file")]
    pub safeguards: Option<String>,
    /// Less intrusive alternatives considered, and why not enough (required).
    #[arg(long, required_unless_present = "from_file")]
    pub alternatives: Option<String>,
    /// Who the watchlist will hold, by category, and why (required).
    #[arg(long, required_unless_present = "from_file")]
    pub watchlist_composition: Option<String>,
    /// Officers and equipment committed (required).
    #[arg(long, required_unless_present = "from_file")]
    pub resources: Option<String>,
    /// The threshold asked for.
    #[arg(long, default_value_t = DEFAULT_MINIMUM_THRESHOLD)]
    pub threshold: f64,
    /// Why the threshold is below the default 0.64 (required then; kept with
    /// the application).
    #[arg(long, value_name = "TEXT")]
    pub threshold_reason: Option<String>,
    /// Minutes between the Silver Commander's reviews.
    #[arg(long, default_value_t = 120)]
    pub review_every: u32,
}

fn application(a: ApplyArgs) -> Result<Application> {
    if let Some(f) = a.from_file {
        let text =
            std::fs::read_to_string(&f).with_context(|| format!("cannot read {}", f.display()))?;
        return serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid application", f.display()));
    }
    let s = |o: Option<String>| o.unwrap_or_default();
    Ok(Application {
        location: s(a.location),
        use_case: a.use_case.expect("required by clap"),
        style: a.style,
        assets: a.assets,
        starts_at: parse_time(&s(a.starts))?,
        ends_at: parse_time(&s(a.ends))?,
        legitimate_aim: s(a.legitimate_aim),
        legal_basis: s(a.legal_basis),
        necessity: s(a.necessity),
        proportionality: s(a.proportionality),
        safeguards: s(a.safeguards),
        alternatives_considered: s(a.alternatives),
        watchlist_composition: s(a.watchlist_composition),
        resources: s(a.resources),
        threshold_requested: a.threshold,
        threshold_reason: a.threshold_reason,
        review_interval_minutes: a.review_every,
    })
}

fn summary(g: &Global, d: &Deployment) -> Result<()> {
    if g.json {
        return print_json(d);
    }
    println!("D{}: {} ({})", d.id, d.state, d.application.location);
    println!("next: {}", next_step(d));
    Ok(())
}

/// What comes next in the deployment's life, and the command for it.
fn next_step(d: &Deployment) -> String {
    use lfr_domain::deployment::DeploymentState as S;
    let id = d.id;
    match d.state {
        S::Applied => format!(
            "an Authorising Officer decides: `lfr deployment authorise D{id} --rationale TEXT`"
        ),
        S::Authorised => format!(
            "the AO approves each watchlist (`lfr watchlist approve W`), then `lfr deployment start D{id}`"
        ),
        S::Active => format!(
            "cameras run with `lfr serve --deployment D{id} --cameras FILE`; `lfr deployment suspend D{id} --reason TEXT` pauses recognition"
        ),
        S::Suspended => format!("`lfr deployment resume D{id}` when the reason is resolved"),
        S::Terminated | S::Concluded if d.record_submitted_at.is_none() => format!(
            "the deployment record goes to the AO within 31 days: `lfr deployment record D{id} --note TEXT`"
        ),
        S::Terminated | S::Concluded => match &d.authority {
            Some(a) if a.cancelled_at.is_none() => {
                format!("the AO cancels the authority: `lfr deployment cancel D{id}`")
            }
            _ => format!("nothing; publish the figures with `lfr report D{id} --public`"),
        },
    }
}

pub fn run(g: &Global, cmd: DeploymentCmd) -> Result<()> {
    block_on(async move {
        let (store, me) = signed_in(g).await?;
        match cmd {
            DeploymentCmd::Apply(a) => {
                let app = application(*a)?;
                let mut store = store;
                let model = crate::recognition::new_deployment_model(g)?;
                let id = model.recognition.model.clone();
                store.set_new_deployment_model(model);
                let d = store.apply(&me, app).await.map_err(|e| match &e {
                    lfr_store::StoreError::Refused(r) if r.rule.is_about_the_model() => {
                        anyhow::anyhow!(
                            "{e}; apply with another model (--model), then `lfr deployment set-algorithm D {id}` with what the rule asks for"
                        )
                    }
                    _ => e.into(),
                })?;
                summary(g, &d)
            }
            DeploymentCmd::Attach {
                deployment,
                kind,
                file,
            } => {
                let bytes = std::fs::read(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                let doc = store
                    .attach_document(&me, deployment, kind, &name, &bytes)
                    .await?;
                if g.json {
                    print_json(&doc)
                } else {
                    println!(
                        "attached {} {} (sha256 {})",
                        doc.kind, doc.file_name, doc.sha256
                    );
                    Ok(())
                }
            }
            DeploymentCmd::Authorise {
                deployment,
                rationale,
                from,
                until,
                minimum_threshold,
                minimum_threshold_reason,
                verbal_confirm_by,
            } => {
                let grant = Grant {
                    verbal_confirm_by: verbal_confirm_by.as_deref().map(parse_time).transpose()?,
                    rationale,
                    valid_from: from.as_deref().map(parse_time).transpose()?,
                    valid_until: until.as_deref().map(parse_time).transpose()?,
                    minimum_threshold,
                    minimum_threshold_reason,
                };
                summary(g, &store.authorise(&me, deployment, grant).await?)
            }
            DeploymentCmd::Confirm { deployment } => {
                summary(g, &store.confirm_verbal(&me, deployment).await?)
            }
            DeploymentCmd::Start { deployment } | DeploymentCmd::Resume { deployment } => {
                summary(g, &store.start(&me, deployment).await?)
            }
            DeploymentCmd::Suspend { deployment, reason } => {
                summary(g, &store.suspend(&me, deployment, &reason).await?)
            }
            DeploymentCmd::Terminate { deployment, reason } => {
                summary(g, &store.terminate(&me, deployment, &reason).await?)
            }
            DeploymentCmd::Conclude { deployment } => {
                summary(g, &store.conclude(&me, deployment).await?)
            }
            DeploymentCmd::Review {
                deployment,
                legality,
                necessity,
                proportionality,
                performance,
                engagements,
                stop,
            } => {
                let r = store
                    .record_review(
                        &me,
                        deployment,
                        ReviewInput {
                            legality,
                            necessity,
                            proportionality,
                            performance,
                            engagements,
                            continue_deployment: !stop,
                        },
                    )
                    .await?;
                if g.json {
                    print_json(&r)
                } else {
                    println!(
                        "review recorded for D{deployment}{}",
                        if stop {
                            "; the deployment is suspended"
                        } else {
                            ""
                        }
                    );
                    Ok(())
                }
            }
            DeploymentCmd::SetAlgorithm {
                deployment,
                model,
                licence,
                accept_calibration,
            } => {
                let files = crate::recognition::model_files_for(g, &model)?;
                let align = lfr_engine::align::AlignMethod::YuNet5;
                files
                    .calibration(align)
                    .map(drop)
                    .and_then(|_| files.fusion_calibration(align).map(drop))
                    .with_context(|| format!("model {model} cannot score matches yet"))?;
                let enroller = lfr_live::enrol::EngineEnroller::open(&files)?;
                let uses = lfr_domain::enrol::ModelUse {
                    licence: licence.as_deref(),
                    calibration: accept_calibration.as_deref(),
                };
                let (d, n) = store
                    .set_recognition(&me, deployment, &model, &enroller, uses)
                    .await?;
                if g.json {
                    return print_json(&serde_json::json!({ "deployment": d, "reenrolled": n }));
                }
                println!(
                    "D{}: recognition model {} (algorithm {}); {n} templates re-enrolled from the reference images",
                    d.id, d.recognition.model, d.recognition.algorithm
                );
                if d.state == lfr_domain::deployment::DeploymentState::Suspended {
                    println!("its watchlists stay approved: who is on them has not changed");
                }
                Ok(())
            }
            DeploymentCmd::Cancel { deployment } => {
                summary(g, &store.cancel_authority(&me, deployment).await?)
            }
            DeploymentCmd::Withdraw { deployment, reason } => summary(
                g,
                &store.withdraw_authority(&me, deployment, &reason).await?,
            ),
            DeploymentCmd::Record { deployment, note } => {
                let d = store.submit_record(&me, deployment, &note).await?;
                if g.json {
                    let checkpoint = store.audit_checkpoint().await?.to_string();
                    let mut v = serde_json::to_value(&d)?;
                    v["audit_checkpoint"] = checkpoint.into();
                    return print_json(&v);
                }
                summary(g, &d)?;
                println!(
                    "audit log checkpoint, for the deployment record (check it later with `lfr audit verify --checkpoint`):\n  {}",
                    store.audit_checkpoint().await?
                );
                Ok(())
            }
            DeploymentCmd::List => {
                let all = store.deployments(&me).await?;
                if g.json {
                    return print_json(&all);
                }
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|d| {
                        vec![
                            format!("D{}", d.id),
                            d.state.to_string(),
                            d.application.location.clone(),
                            d.application.use_case.to_string(),
                            show_time(d.application.starts_at),
                            show_time(d.application.ends_at),
                            d.authority
                                .as_ref()
                                .map(|a| a.minimum_threshold.to_string())
                                .unwrap_or_else(|| "-".into()),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "id",
                        "state",
                        "location",
                        "use",
                        "starts",
                        "ends",
                        "min threshold",
                    ],
                    &rows,
                );
                Ok(())
            }
            DeploymentCmd::Show { deployment } => {
                let d = store.deployment(&me, deployment).await?;
                let reviews = store.reviews(&me, deployment).await?;
                let docs = store.documents(&me, deployment).await?;
                let owed = d.outstanding(store.clock().now());
                if g.json {
                    // The deployment as every command prints it (`apply --json`,
                    // `authorise --json`, ...), with what only `show` adds beside it.
                    let mut v = serde_json::to_value(&d)?;
                    if let Some(o) = v.as_object_mut() {
                        o.insert("reviews".into(), serde_json::to_value(&reviews)?);
                        o.insert("documents".into(), serde_json::to_value(&docs)?);
                        o.insert("outstanding".into(), serde_json::to_value(&owed)?);
                    }
                    return print_json(&v);
                }
                let a = &d.application;
                let mut f = vec![
                    ("deployment", format!("D{} ({})", d.id, d.state)),
                    ("location", a.location.clone()),
                    (
                        "use case",
                        format!("{}, {} x{}", a.use_case, a.style, a.assets),
                    ),
                    (
                        "planned",
                        format!("{} to {}", show_time(a.starts_at), show_time(a.ends_at)),
                    ),
                    ("legitimate aim", a.legitimate_aim.clone()),
                    ("legal basis", a.legal_basis.clone()),
                    ("necessity", a.necessity.clone()),
                    ("proportionality", a.proportionality.clone()),
                    ("safeguards", a.safeguards.clone()),
                    ("alternatives", a.alternatives_considered.clone()),
                    ("watchlist", a.watchlist_composition.clone()),
                    ("resources", a.resources.clone()),
                    (
                        "threshold asked",
                        match &a.threshold_reason {
                            Some(r) => {
                                format!("{} (below the default: {r})", a.threshold_requested)
                            }
                            None => a.threshold_requested.to_string(),
                        },
                    ),
                    (
                        "recognition",
                        format!("{} ({})", d.recognition.model, d.recognition.algorithm),
                    ),
                    (
                        "reviews every",
                        format!("{} min", a.review_interval_minutes),
                    ),
                ];
                if let Some(au) = &d.authority {
                    let form = match &au.form {
                        lfr_domain::authority::AuthorityForm::Written => "written".to_string(),
                        lfr_domain::authority::AuthorityForm::UrgentVerbal {
                            confirm_by,
                            confirmed_at,
                        } => match confirmed_at {
                            Some(c) => format!("urgent verbal, confirmed {}", show_time(*c)),
                            None => format!(
                                "urgent verbal, to be confirmed by {}",
                                show_time(*confirm_by)
                            ),
                        },
                    };
                    f.push((
                        "authority",
                        format!(
                            "{form}, by U{} at {}",
                            au.granted_by,
                            show_time(au.granted_at)
                        ),
                    ));
                    f.push((
                        "valid",
                        format!(
                            "{} to {}",
                            show_time(au.valid_from),
                            show_time(au.valid_until)
                        ),
                    ));
                    f.push((
                        "min threshold",
                        match &au.minimum_threshold_reason {
                            Some(r) => format!("{} (below the default: {r})", au.minimum_threshold),
                            None => au.minimum_threshold.to_string(),
                        },
                    ));
                    f.push(("rationale", au.rationale.clone()));
                    f.push(("cancelled", show_opt_time(au.cancelled_at)));
                }
                f.push(("started", show_opt_time(d.started_at)));
                f.push(("ended", show_opt_time(d.ended_at)));
                f.push(("reviews", reviews.len().to_string()));
                f.push(("record sent", show_opt_time(d.record_submitted_at)));
                for doc in &docs {
                    f.push((
                        "document",
                        format!("{} {} ({})", doc.kind, doc.file_name, &doc.sha256[..12]),
                    ));
                }
                for o in &owed {
                    f.push((
                        "OWED",
                        format!(
                            "{} due {}{}",
                            o.what,
                            show_time(o.due),
                            if o.overdue { " OVERDUE" } else { "" }
                        ),
                    ));
                }
                fields(&f);
                Ok(())
            }
            DeploymentCmd::Team {
                deployment,
                add,
                remove,
            } => {
                for u in &add {
                    store.add_to_team(&me, deployment, u).await?;
                }
                for u in &remove {
                    store.remove_from_team(&me, deployment, u).await?;
                }
                let team = store.team(&me, deployment).await?;
                if g.json {
                    return print_json(&team);
                }
                let rows: Vec<Vec<String>> = team
                    .iter()
                    .map(|m| {
                        let roles: Vec<&str> = m.roles.iter().map(|r| r.as_str()).collect();
                        vec![m.username.clone(), m.display_name.clone(), roles.join(", ")]
                    })
                    .collect();
                table(&["user", "name", "roles"], &rows);
                Ok(())
            }
            DeploymentCmd::Outstanding => {
                let owed = store.outstanding(&me).await?;
                if g.json {
                    return print_json(&owed.iter().map(|(d, o)| serde_json::json!({ "deployment": d, "what": o.what, "due": o.due, "overdue": o.overdue })).collect::<Vec<_>>());
                }
                let rows: Vec<Vec<String>> = owed
                    .iter()
                    .map(|(d, o)| {
                        vec![
                            format!("D{d}"),
                            o.what.clone(),
                            show_time(o.due),
                            if o.overdue {
                                "OVERDUE".into()
                            } else {
                                "due".into()
                            },
                        ]
                    })
                    .collect();
                table(&["deployment", "owed", "due", "status"], &rows);
                Ok(())
            }
        }
    })
}
