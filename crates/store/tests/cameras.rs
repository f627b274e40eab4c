//! A deployment's cameras and their nodes: the engineers add, move and
//! remove them, audited; the pipeline's roles read a node's settings; the
//! settings are sealed, so a camera's password is not in the database file.

mod common;

use common::*;
use lfr_store::cameras::Camera;

const SETTINGS: &str = r#"{"name":"north","location":"Queen Street north","source":{"kind":"rtsp","url":"rtsp://cam:Pa55-w0rd-9@10.0.0.7/stream"},"zone":null}"#;

#[tokio::test]
async fn engineers_place_cameras_on_nodes_and_nodes_read_their_own() {
    let w = World::sqlite().await;
    let (d, _) = w.running().await;
    let north = Camera {
        deployment: d,
        name: "north".into(),
        location: "Queen Street north".into(),
        node: "van-1".into(),
    };
    // Only the engineers own cameras.
    for who in [&w.silver, &w.operator, &w.admin] {
        assert_eq!(
            rule(w.store.add_camera(who, &north, SETTINGS).await.unwrap_err()),
            "role_permits"
        );
    }
    w.store
        .add_camera(&w.engineer, &north, SETTINGS)
        .await
        .unwrap();
    assert!(
        w.store
            .add_camera(&w.engineer, &north, SETTINGS)
            .await
            .is_err(),
        "one camera of a name in a deployment"
    );
    // Everyone who sees the deployment sees where its cameras run, not their settings.
    assert_eq!(
        w.store.cameras(&w.silver, d).await.unwrap(),
        vec![north.clone()]
    );
    // The node reads its own cameras' settings; another node has none.
    let on_van = w
        .store
        .camera_settings(&w.operator, d, "van-1")
        .await
        .unwrap();
    assert_eq!(on_van, vec![(north.clone(), SETTINGS.to_string())]);
    assert!(
        w.store
            .camera_settings(&w.operator, d, "van-2")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        rule(
            w.store
                .camera_settings(&w.silver, d, "van-1")
                .await
                .unwrap_err()
        ),
        "role_permits"
    );

    // Moved by hand to another node, audited with where from and where to.
    let moved = w
        .store
        .assign_camera(&w.engineer, d, "north", "van-2")
        .await
        .unwrap();
    assert_eq!(moved.node, "van-2");
    assert!(
        w.store
            .camera_settings(&w.operator, d, "van-1")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        w.store
            .camera_settings(&w.operator, d, "van-2")
            .await
            .unwrap()
            .len(),
        1
    );
    let log = w
        .store
        .audit_entries(
            &w.auditor,
            &lfr_store::audit::AuditFilter {
                target: Some(format!("D{d}/camera/north")),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let actions: Vec<_> = log.iter().map(|e| e.event.action.as_str()).collect();
    assert!(actions.contains(&"camera.add"), "{actions:?}");
    let assign = log
        .iter()
        .find(|e| e.event.action == "camera.assign")
        .unwrap();
    assert_eq!(assign.event.detail, "from node van-1 to node van-2");
    assert!(
        !format!("{log:?}").contains("Pa55-w0rd-9"),
        "the audit log never holds a camera's settings"
    );

    // The password is sealed: not in the database file or its log.
    let mut bytes = Vec::new();
    for f in ["lfr.db", "lfr.db-wal"] {
        if let Ok(b) = std::fs::read(w.dir.path().join(f)) {
            bytes.extend(b);
        }
    }
    assert!(!bytes.is_empty());
    assert!(
        !bytes.windows(11).any(|x| x == b"Pa55-w0rd-9"),
        "a camera's password is in the database file"
    );

    // Once the deployment ends, its cameras no longer change.
    w.store
        .terminate(&w.silver, d, "intelligence changed")
        .await
        .unwrap();
    assert_eq!(
        rule(
            w.store
                .assign_camera(&w.engineer, d, "north", "van-1")
                .await
                .unwrap_err()
        ),
        "cameras_change_only_before_the_end"
    );
    assert_eq!(
        rule(
            w.store
                .remove_camera(&w.engineer, d, "north")
                .await
                .unwrap_err()
        ),
        "cameras_change_only_before_the_end"
    );
}
