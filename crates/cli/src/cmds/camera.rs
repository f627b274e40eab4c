//! `lfr camera`: a deployment's cameras and the node that runs each, when
//! several `lfr serve --node NAME` share one PostgreSQL database
//! (docs/nodes.md). The engineers own cameras; every change is audited, and
//! the nodes hear of it at once.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;
use lfr_domain::ids::DeploymentId;
use lfr_domain::role::User;
use lfr_store::Store;
use lfr_store::cameras::Camera;

use super::session::{block_on, print_json, signed_in, table};
use crate::Global;

#[derive(Subcommand, Debug)]
pub enum CameraCmd {
    /// Add cameras to a deployment, run by NODE (System Engineer). FILE is a
    /// camera list as `lfr serve --cameras` takes it (docs/console.md).
    Add {
        deployment: DeploymentId,
        file: PathBuf,
        #[arg(long)]
        node: String,
    },
    /// Move a camera to another node: the node running it stops it, and
    /// NODE starts it within seconds (System Engineer).
    Assign {
        deployment: DeploymentId,
        camera: String,
        #[arg(long)]
        node: String,
    },
    /// Remove a camera from a deployment (System Engineer).
    Remove {
        deployment: DeploymentId,
        camera: String,
    },
    /// A deployment's cameras and the nodes that run them.
    List { deployment: DeploymentId },
}

pub fn run(g: &Global, cmd: CameraCmd) -> Result<()> {
    block_on(async move {
        let (store, me) = signed_in(g).await?;
        let d = match &cmd {
            CameraCmd::Add { deployment, .. }
            | CameraCmd::Assign { deployment, .. }
            | CameraCmd::Remove { deployment, .. }
            | CameraCmd::List { deployment } => *deployment,
        };
        match cmd {
            CameraCmd::Add { file, node, .. } => {
                let cameras = super::serve::read_camera_list(&file)?;
                let mut added = Vec::new();
                for c in &cameras {
                    let cam = Camera {
                        deployment: d,
                        name: c.name.clone(),
                        location: c.location.clone(),
                        node: node.clone(),
                    };
                    added.push(
                        store
                            .add_camera(&me, &cam, &serde_json::to_string(c)?)
                            .await?,
                    );
                }
                tell_nodes(&store, &me, d, "camera.add").await;
                show(g, &added)
            }
            CameraCmd::Assign { camera, node, .. } => {
                let cam = store.assign_camera(&me, d, &camera, &node).await?;
                tell_nodes(&store, &me, d, "camera.assign").await;
                show(g, &[cam])
            }
            CameraCmd::Remove { camera, .. } => {
                store.remove_camera(&me, d, &camera).await?;
                tell_nodes(&store, &me, d, "camera.remove").await;
                println!("camera {camera} removed from D{d}");
                Ok(())
            }
            CameraCmd::List { .. } => show(g, &store.cameras(&me, d).await?),
        }
    })
}

fn show(g: &Global, cameras: &[Camera]) -> Result<()> {
    if g.json {
        return print_json(&cameras);
    }
    let rows: Vec<_> = cameras
        .iter()
        .map(|c| vec![c.name.clone(), c.node.clone(), c.location.clone()])
        .collect();
    table(&["camera", "node", "location"], &rows);
    Ok(())
}

/// Tells the nodes on a shared database that `d`'s cameras changed, so
/// they act at once (they also look again on their own within seconds).
async fn tell_nodes(store: &Store, me: &User, d: DeploymentId, action: &str) {
    let Ok(dep) = store.deployment(me, d).await else {
        return;
    };
    let from = format!("lfr-camera-{}", std::process::id());
    let notice = lfr_server::relay::Notice::deployment_changed(&from, &dep, action, &me.username);
    if let Err(e) = store.notify(&notice).await {
        eprintln!(
            "the nodes were not told at once ({e}); they will notice within {} s",
            super::serve::CAMERA_RECHECK.as_secs()
        );
    }
}
