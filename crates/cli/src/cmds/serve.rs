//! `lfr serve`: the console, the API and the cameras of a deployment, in
//! one process. `lfr serve --demo` sets up a whole sample deployment first,
//! so a newcomer sees alerts arrive within a minute.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use lfr_domain::ids::DeploymentId;
use lfr_domain::policy::Action;
use lfr_domain::role::User;
use lfr_live::{CameraConfig, CameraList, LiveConfig, Outcome};
use lfr_server::App;
use lfr_server::cameras::ReportedCameras;
use lfr_store::Store;

use super::session::open;
use crate::Global;

mod cameras;
mod demo;
mod enrol;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on. The default serves this machine only; to serve
    /// a network, put a TLS-terminating proxy in front (the session cookie is
    /// `Secure`, so browsers send it only over HTTPS or to localhost).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where published post-deployment reports are kept (default: $XDG_DATA_HOME/lfr/published).
    #[arg(long, value_name = "DIR")]
    pub publish_dir: Option<PathBuf>,
    /// Publish alert and state-change events to an MQTT broker:
    /// mqtt://HOST[:PORT][/TOPIC-PREFIX]. Off by default.
    #[arg(long, value_name = "URL")]
    pub mqtt: Option<lfr_server::mqtt::MqttTarget>,
    /// Run the cameras of this deployment: those of --cameras, or else those
    /// assigned to --node in the database (`lfr camera`). Needs a token of a
    /// System Engineer or Operator in LFR_TOKEN, whom the pipeline acts as.
    #[arg(long, value_name = "DEPLOYMENT")]
    pub deployment: Option<DeploymentId>,
    /// The cameras, as a JSON list of {name, location, source, zone}
    /// (see docs/console.md).
    #[arg(long, value_name = "FILE", requires = "deployment")]
    pub cameras: Option<PathBuf>,
    /// Set up a sample deployment, users and a Blue Watchlist of demo
    /// volunteers in a fresh temporary database, and replay a video as a camera.
    #[arg(long, conflicts_with_all = ["deployment", "cameras"])]
    pub demo: bool,
    /// The video the demo replays (looping, in real time).
    #[arg(long, value_name = "FILE", requires = "demo")]
    pub video: Option<PathBuf>,
    /// How many demo volunteers to pick from the video.
    #[arg(long, default_value_t = 6, requires = "demo")]
    pub volunteers: usize,
    /// Write the demo's sign-in links as JSON to this file (for scripts and tests).
    #[arg(long, value_name = "FILE", requires = "demo")]
    pub demo_info: Option<PathBuf>,
    /// Once serving, write `{"url", "pid", "deployment"}` as JSON to this
    /// file (whole, by rename), so that scripts know when and where it is ready.
    #[arg(long, value_name = "FILE")]
    pub ready_file: Option<PathBuf>,
    #[command(flatten)]
    pub search: super::CameraSearch,
    /// This process's name among the nodes sharing one PostgreSQL database
    /// (docs/nodes.md): what one node announces reaches every node's
    /// console. Default: the host's name and the process id.
    #[arg(long, value_name = "NAME")]
    pub node: Option<String>,
}

pub fn run(g: &Global, a: ServeArgs) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(serve(g, a))
}

/// The pipeline's part: which deployment, on which cameras, as whom.
pub struct Pipeline {
    pub deployment: DeploymentId,
    pub cameras: CameraList,
    pub actor: User,
}

async fn serve(g: &Global, a: ServeArgs) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(a.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}; is another lfr serve running? Choose another with --listen",
                a.listen
            )
        })?;
    let addr = listener.local_addr()?;
    let (store, publish_dir, pipeline, _demo_dir) = if a.demo {
        let d = demo::setup(g, &a, addr).await?;
        (d.store, d.publish_dir, Some(d.pipeline), Some(d.dir))
    } else {
        let mut store = open(g, false).await?;
        // Deployments applied for through the console get the default model.
        store.set_new_deployment_model(crate::recognition::new_deployment_model(g)?);
        let store = Arc::new(store);
        let pipeline = match a.deployment {
            Some(d) => Some(
                pipeline_from_args(g, &store, d, a.cameras.as_deref(), a.node.as_deref()).await?,
            ),
            None => None,
        };
        let dir = a
            .publish_dir
            .clone()
            .unwrap_or_else(|| data_dir().join("published"));
        (store, dir, pipeline, None)
    };
    let reported = Arc::new(ReportedCameras::default());
    let views = lfr_live::Views::default();
    let local = Arc::new(cameras::LocalCameras {
        reported: reported.clone(),
        views: views.clone(),
    });
    let mut app = App::new(store.clone(), local, publish_dir)?;
    app.enrollers = Some(Arc::new(enrol::InstalledEnrollers::new(g.models.clone())));
    let node = a.node.clone().unwrap_or_else(default_node);
    let relay = lfr_server::relay::Relay::new(&mut app, &node)
        .start(&app)
        .await
        .context("cannot listen to the other nodes on the database")?;
    if relay.is_some() {
        eprintln!(
            "node {node}: sharing alerts, changes and camera figures with the other nodes on this database"
        );
    }
    let hub = app.hub.clone();

    if let Some(target) = a.mqtt.clone() {
        eprintln!(
            "publishing events to MQTT {}:{} under {}/",
            target.host, target.port, target.prefix
        );
        lfr_server::mqtt::spawn(&hub, target, &format!("lfr-{}", std::process::id()));
    }
    let retention = tokio::spawn(store.clone().retention_loop(
        Duration::from_secs(60),
        std::future::pending(),
        |r| {
            if let Err(e) = r {
                eprintln!("retention run failed: {e}");
            }
        },
    ));
    // Passes whose window is over end within a few seconds of it.
    let blue_passes = tokio::spawn(lfr_server::api::blue_passes::end_due_loop(
        app.clone(),
        Duration::from_secs(5),
    ));
    // Set at shutdown: the pipeline stops its session, which writes the
    // last counts, before the process ends.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let live_config = a.search.live_config();
    let live = match pipeline {
        Some(p) => {
            let models = deployment_models(g, &store, &p).await?;
            let supervisor = lfr_live::Supervisor {
                store: store.clone(),
                actor: p.actor,
                deployment: p.deployment,
                cameras: p.cameras,
                models,
                config: live_config,
                retry: CAMERA_RECHECK,
                views: Some(views.clone()),
            };
            let news = cameras::HubNews {
                deployment: p.deployment,
                events: hub.subscribe(),
            };
            let listener = cameras::HubListener {
                hub: hub.clone(),
                cameras: reported.clone(),
                store: store.clone(),
            };
            Some(tokio::spawn(async move {
                let outcome = supervisor.run(news, &listener, stopped).await;
                say_how_it_ended(p.deployment, outcome);
            }))
        }
        None => None,
    };
    eprintln!("lfr console: http://{addr}/  (Ctrl-C or SIGTERM stops)");
    if let Some(f) = &a.ready_file {
        let ready = serde_json::json!({
            "url": format!("http://{addr}/"),
            "pid": std::process::id(),
            "deployment": a.deployment.map(|d| format!("D{d}")),
            "node": node,
        });
        let part = f.with_extension("part");
        std::fs::write(&part, ready.to_string())
            .and_then(|()| std::fs::rename(&part, f))
            .with_context(|| format!("cannot write the ready file {}", f.display()))?;
    }
    let stop_hub = hub.clone();
    lfr_server::serve(app, listener, async move {
        shutdown_signal().await;
        eprintln!("stopping...");
        let _ = stop.send(true);
        stop_hub.close();
    })
    .await?;
    retention.abort();
    blue_passes.abort();
    if let Some(l) = live
        && tokio::time::timeout(STOP_GRACE, l).await.is_err()
    {
        eprintln!(
            "the cameras did not stop within {} s: faces and dropped frames counted since the last write (at most {} s) are not recorded",
            STOP_GRACE.as_secs(),
            LiveConfig::default().counts_interval.as_secs()
        );
    }
    Ok(())
}

/// How often a node with failed-to-start cameras tries again, and looks
/// again at the cameras assigned to it.
pub const CAMERA_RECHECK: Duration = Duration::from_secs(10);

/// How long the cameras get to stop and write their last counts.
const STOP_GRACE: Duration = Duration::from_secs(30);

/// Ctrl-C, or SIGTERM (what `kill` and service managers send).
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// The model files of the deployment's own recognition model, which must
/// still make the algorithm the deployment records.
async fn deployment_models(
    g: &Global,
    store: &Store,
    p: &Pipeline,
) -> Result<lfr_engine::pipeline::ModelFiles> {
    let d = store.deployment(&p.actor, p.deployment).await?;
    let r = &d.recognition;
    let models = crate::recognition::model_files_for(g, &r.model)?;
    let made = models.algorithm(lfr_live::LiveConfig::default().align)?;
    if made.as_str() != r.algorithm {
        bail!(
            "D{} records algorithm {} for model {}, but the installed {} makes {made}; install the package it was set up with, or `lfr deployment set-algorithm D{} {}` to re-enrol its watchlists",
            d.id,
            r.algorithm,
            r.model,
            r.model,
            d.id,
            r.model
        );
    }
    Ok(models)
}

async fn pipeline_from_args(
    g: &Global,
    store: &Store,
    deployment: DeploymentId,
    file: Option<&std::path::Path>,
    node: Option<&str>,
) -> Result<Pipeline> {
    let cameras = match (file, node) {
        (Some(file), _) => {
            let cameras = read_camera_list(file)?;
            lfr_live::cameras_can_run(&cameras)
                .with_context(|| format!("the cameras of {} cannot run", file.display()))?;
            CameraList::Given(cameras)
        }
        (None, Some(node)) => CameraList::Assigned { node: node.into() },
        (None, None) => bail!(
            "--deployment needs its cameras: --cameras FILE, or --node NAME to run the cameras assigned to that node (`lfr camera list D{deployment}`)"
        ),
    };
    let Some(token) = g.token.as_deref().filter(|t| !t.trim().is_empty()) else {
        bail!(
            "the pipeline acts as a user: set LFR_TOKEN to the token of a System Engineer (or Operator)"
        );
    };
    let actor = store.authenticate(token).await?;
    // Refused now, not retried for ever with no cameras running.
    for action in [Action::RaiseAlert, Action::RecordCounts] {
        lfr_domain::policy::role_permits(&actor, action).map_err(|r| {
            anyhow::anyhow!(
                "the cameras cannot run as {}: {r}; set LFR_TOKEN to the token of a System Engineer or Operator",
                actor.username
            )
        })?;
    }
    Ok(Pipeline {
        deployment,
        cameras,
        actor,
    })
}

/// A JSON list of cameras, as `--cameras` and `lfr camera add` take it.
pub fn read_camera_list(file: &std::path::Path) -> Result<Vec<CameraConfig>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the camera list {}", file.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a camera list; see docs/console.md for its format",
            file.display()
        )
    })
}

/// This host's name and the process id: unique among the nodes of one database.
fn default_node() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let host = if host.is_empty() { "lfr".into() } else { host };
    format!("{host}-{}", std::process::id())
}

/// `$XDG_DATA_HOME/lfr`, as the other commands use.
fn data_dir() -> PathBuf {
    match std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d).join("lfr"),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| ".".into()))
            .join(".local/share/lfr"),
    }
}

/// What became of the cameras, on standard error.
fn say_how_it_ended(deployment: DeploymentId, outcome: Outcome) {
    match outcome {
        Outcome::DeploymentEnded => {
            eprintln!("D{deployment} has ended; its cameras are stopped")
        }
        Outcome::Stopped(last) => {
            for f in &last {
                let lost = match (f.faces_unrecorded, f.dropped_unrecorded) {
                    (0, 0) => "all recorded".to_string(),
                    (faces, dropped) => format!(
                        "{faces} faces and {dropped} dropped frames NOT recorded: the store refused the last write"
                    ),
                };
                eprintln!(
                    "camera {} stopped: {} faces scanned, {} frames dropped, {lost}",
                    f.camera, f.faces_scanned, f.frames_dropped
                );
            }
        }
    }
}
