//! The supervisor starts the cameras only when the deployment allows it,
//! starts them on news that it does, records their counts when stopped, and
//! stops them for good when the deployment ends; a session that loses the
//! database stops recognising. Real store, real models, the crowd video as
//! a camera.

mod common;

use std::sync::Mutex;
use std::time::Duration;

use common::*;
use lfr_domain::ids::DeploymentId;
use lfr_live::{LiveConfig, LiveEvent, News, Newsfeed, Outcome, Supervision, Supervisor};
use tokio::sync::{mpsc, watch};

/// News from the test, by hand.
struct Hand(mpsc::UnboundedReceiver<News>);

impl Newsfeed for Hand {
    async fn next(&mut self) -> Option<News> {
        self.0.recv().await
    }
}

/// What the supervisor said, in order.
#[derive(Default)]
struct Heard(Mutex<Vec<String>>);

impl lfr_live::Listener for Heard {
    fn event(&self, _: DeploymentId, e: &LiveEvent) {
        if let LiveEvent::Camera(c) = e {
            self.0
                .lock()
                .unwrap()
                .push(format!("camera {:?}", c.status));
        }
    }
    fn supervision(&self, _: DeploymentId, s: &Supervision) {
        let line = match s {
            Supervision::NotStarted(why) => format!("not started: {why}"),
            Supervision::Running => "running".into(),
        };
        self.0.lock().unwrap().push(line);
    }
}

impl Heard {
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    async fn wait_for(&self, what: &str, within: Duration) {
        let end = tokio::time::Instant::now() + within;
        while !self.lines().iter().any(|l| l.starts_with(what)) {
            assert!(
                tokio::time::Instant::now() < end,
                "no {what:?} within {within:?}; heard {:#?}",
                self.lines()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A supervisor of the walk-through's deployment, as its engineer, on one
/// analysis worker.
fn supervisor(
    store: &std::sync::Arc<lfr_store::Store>,
    w: &lfr_live::walkthrough::Walkthrough,
    cameras: lfr_live::CameraList,
    retry: Duration,
) -> Supervisor {
    Supervisor {
        store: store.clone(),
        actor: w.engineer.clone(),
        deployment: w.deployment,
        cameras,
        models: models(),
        config: LiveConfig {
            workers: Some(1),
            ..LiveConfig::default()
        },
        retry,
        views: None,
    }
}

/// Runs `s` in the background: what it says, the news to tell it, its stop
/// switch and its outcome.
fn spawn_run(
    s: Supervisor,
) -> (
    std::sync::Arc<Heard>,
    mpsc::UnboundedSender<News>,
    watch::Sender<bool>,
    tokio::task::JoinHandle<Outcome>,
) {
    let heard = std::sync::Arc::new(Heard::default());
    let (tell, news) = mpsc::unbounded_channel();
    let (stop, stopped) = watch::channel(false);
    let listener = heard.clone();
    let outcome = tokio::spawn(async move { s.run(Hand(news), &*listener, stopped).await });
    (heard, tell, stop, outcome)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cameras_run_only_while_the_deployment_allows_and_stop_when_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let (store, w) = active_deployment(dir.path(), 1).await;
    store
        .suspend(&w.silver, w.deployment, "crowd too dense")
        .await
        .unwrap();

    let cameras = lfr_live::CameraList::Given(vec![crowd_camera()]);
    // Retry longer than the test: only news may start the cameras again.
    let supervisor = || supervisor(&store, &w, cameras.clone(), Duration::from_secs(600));

    // Suspended: refused, said once, and nothing runs.
    let (heard, tell, stop, run) = spawn_run(supervisor());
    heard
        .wait_for("not started: ", Duration::from_secs(30))
        .await;
    let refusal = heard.lines()[0].clone();
    assert!(refusal.contains("suspend"), "{refusal}");

    // Resumed, and told: the cameras start.
    store.start(&w.silver, w.deployment).await.unwrap();
    tell.send(News::Changed).unwrap();
    heard.wait_for("running", Duration::from_secs(30)).await;
    heard
        .wait_for("camera Streaming", Duration::from_secs(30))
        .await;
    assert_eq!(
        heard
            .lines()
            .iter()
            .filter(|l| l.starts_with("not started"))
            .count(),
        1,
        "one refusal, said once: {:#?}",
        heard.lines()
    );

    // Asked to stop: the last counts are written, and the figures say so.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.send(true).unwrap();
    let Outcome::Stopped(last) = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("stopped within 30 s")
        .unwrap()
    else {
        panic!("asked to stop, it said the deployment ended");
    };
    assert_eq!(last.len(), 1);
    assert_eq!(
        (last[0].faces_unrecorded, last[0].dropped_unrecorded),
        (0, 0)
    );

    // Started again, then the deployment ends: it returns on its own.
    let (heard, tell, _stop, run) = spawn_run(supervisor());
    heard.wait_for("running", Duration::from_secs(30)).await;
    store
        .terminate(&w.silver, w.deployment, "intelligence changed")
        .await
        .unwrap();
    tell.send(News::Ended).unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("returned within 30 s of the end")
        .unwrap();
    assert!(matches!(outcome, Outcome::DeploymentEnded), "{outcome:?}");
}

/// A node cut off from the database stops recognising, and says why: it
/// could not learn of a suspension or of its authority's end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_cannot_read_its_deployment_stops_recognising() {
    let dir = tempfile::tempdir().unwrap();
    let (store, w) = active_deployment(dir.path(), 1).await;
    let session = lfr_live::Session::start(
        store.clone(),
        w.engineer.clone(),
        w.deployment,
        vec![crowd_camera()],
        models(),
        LiveConfig {
            workers: Some(1),
            state_poll: Duration::from_millis(200),
            ..LiveConfig::default()
        },
    )
    .await
    .unwrap();
    let mut events = session.subscribe();
    store.close().await;
    let reason = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match events.recv().await {
                Ok(LiveEvent::Recognition(lfr_live::RecognitionState::Paused { reason })) => {
                    return reason;
                }
                Ok(_) => {}
                Err(e) => panic!("event stream failed: {e}"),
            }
        }
    })
    .await
    .expect("recognition paused within 10 s of losing the database");
    assert!(reason.contains("cannot be read"), "{reason}");
    session.stop().await;
}

/// Cameras assigned in the store: a node runs those assigned to it, stops
/// one moved away and starts one moved to it, on news or on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_runs_the_cameras_assigned_to_it_and_follows_moves() {
    let dir = tempfile::tempdir().unwrap();
    let (store, w) = active_deployment(dir.path(), 1).await;
    let arcade = crowd_camera();
    store
        .add_camera(
            &w.engineer,
            &lfr_store::cameras::Camera {
                deployment: w.deployment,
                name: "arcade".into(),
                location: "Arcade".into(),
                node: "van-1".into(),
            },
            &serde_json::to_string(&arcade).unwrap(),
        )
        .await
        .unwrap();
    let supervisor = supervisor(
        &store,
        &w,
        lfr_live::CameraList::Assigned {
            node: "van-1".into(),
        },
        Duration::from_secs(2),
    );
    let (heard, tell, stop, run) = spawn_run(supervisor);
    heard.wait_for("running", Duration::from_secs(30)).await;
    heard
        .wait_for("camera Streaming", Duration::from_secs(30))
        .await;

    // Moved to another node, and told: this node stops it and has none left.
    store
        .assign_camera(&w.engineer, w.deployment, "arcade", "van-2")
        .await
        .unwrap();
    tell.send(News::Changed).unwrap();
    heard
        .wait_for("not started: no camera", Duration::from_secs(30))
        .await;

    // Moved back, and not told: it notices on its own within its retry.
    store
        .assign_camera(&w.engineer, w.deployment, "arcade", "van-1")
        .await
        .unwrap();
    let runs = || heard.lines().iter().filter(|l| *l == "running").count();
    let end = tokio::time::Instant::now() + Duration::from_secs(30);
    while runs() < 2 {
        assert!(
            tokio::time::Instant::now() < end,
            "not started again: {:#?}",
            heard.lines()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.send(true).unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(outcome, Outcome::Stopped(ref last) if last.len() == 1),
        "{outcome:?}"
    );
}

/// The live view: made once someone looks, coarse JPEG at the view's
/// width, gone when the cameras stop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_camera_offers_its_view_while_someone_looks() {
    let dir = tempfile::tempdir().unwrap();
    let (store, w) = active_deployment(dir.path(), 1).await;
    let views = lfr_live::Views::default();
    let supervisor = Supervisor {
        views: Some(views.clone()),
        ..supervisor(
            &store,
            &w,
            lfr_live::CameraList::Given(vec![crowd_camera()]),
            Duration::from_secs(600),
        )
    };
    let (heard, _tell, stop, run) = spawn_run(supervisor);
    heard
        .wait_for("camera Streaming", Duration::from_secs(30))
        .await;
    assert!(views.runs(w.deployment, "arcade"));
    assert!(!views.runs(w.deployment, "elsewhere"));
    let end = tokio::time::Instant::now() + Duration::from_secs(20);
    let view = loop {
        if let Some(v) = views.look(w.deployment, "arcade") {
            break v;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "no view within 20 s of looking"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let img = image::load_from_memory(&view.jpeg).unwrap();
    assert_eq!(img.width(), lfr_live::view::VIEW_WIDTH);
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .unwrap()
        .unwrap();
    assert!(
        views.look(w.deployment, "arcade").is_none(),
        "a stopped camera's view is gone"
    );
}
