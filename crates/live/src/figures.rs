//! Per-camera counters, updated by the source and analysis threads without
//! locks, and the snapshot the dashboard shows.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use lfr_domain::metrics::Percentiles;
use serde::Serialize;

use crate::events::CameraStatus;

/// Recognition times kept for percentiles; the oldest go first.
const KEEP_TIMES: usize = 4096;

/// The running counts of one camera.
#[derive(Debug)]
pub struct Counters {
    pub frames_decoded: AtomicU64,
    pub frames_analysed: AtomicU64,
    /// Replaced in the hand-off before analysis reached them.
    pub frames_dropped: AtomicU64,
    /// Discarded unanalysed while recognition was paused.
    pub frames_paused: AtomicU64,
    /// Faces found by the detector inside the zone.
    pub detections: AtomicU64,
    /// Faces found centred outside the zone, ignored. Only the part of the
    /// frame near the zone is searched (the whole frame when a face too
    /// large for that part is seen cut at its side), so faces far from it
    /// are mostly not found, and not counted here.
    pub outside_zone: AtomicU64,
    pub tracks: AtomicU64,
    /// Tracks that passed the quality gate at least once (see the crate docs).
    pub faces_scanned: AtomicU64,
    pub templates: AtomicU64,
    pub matches: AtomicU64,
    pub alerts: AtomicU64,
    /// Milliseconds spent analysing, for the analysed frame rate's cost.
    pub analysis_ms: AtomicU64,
    /// Most frames ever waiting in the hand-off at once (bounded by
    /// [`crate::handoff::SLOT_FRAMES`]; reported to show that it is).
    pub peak_frames_waiting: AtomicU64,
    /// Matches handed to the recorder and not yet written (or refused).
    pub matches_pending: AtomicU64,
    pub peak_matches_pending: AtomicU64,
    /// Times a worker found the match queue full and waited for the
    /// recorder: the database was slower than the matches came.
    pub match_queue_waits: AtomicU64,
    /// Alerts decided on the first template of their track.
    pub first_template_alerts: AtomicU64,
    /// Of `faces_scanned` and `frames_dropped`, how many this session has
    /// written to the store (`Store::record_counts`).
    pub faces_recorded: AtomicU64,
    pub dropped_recorded: AtomicU64,
    status: Mutex<CameraStatus>,
    /// When the decoder last delivered a frame, as microseconds of the
    /// monotonic clock plus one (0: never): how long a camera has been silent
    /// is what tells an operator it is dead. One atomic store per frame.
    last_frame_us: AtomicU64,
    times: Mutex<Vec<u32>>,
    /// From the arrival of the frame that matched to the alert's hand-off.
    frame_times: Mutex<Vec<u32>>,
    /// What an operator may see of the camera ([`crate::view`]).
    pub view: std::sync::Arc<crate::view::ViewSlot>,
}

impl Default for Counters {
    fn default() -> Self {
        Self {
            frames_decoded: AtomicU64::new(0),
            frames_analysed: AtomicU64::new(0),
            frames_dropped: AtomicU64::new(0),
            frames_paused: AtomicU64::new(0),
            detections: AtomicU64::new(0),
            outside_zone: AtomicU64::new(0),
            tracks: AtomicU64::new(0),
            faces_scanned: AtomicU64::new(0),
            templates: AtomicU64::new(0),
            matches: AtomicU64::new(0),
            alerts: AtomicU64::new(0),
            analysis_ms: AtomicU64::new(0),
            peak_frames_waiting: AtomicU64::new(0),
            matches_pending: AtomicU64::new(0),
            peak_matches_pending: AtomicU64::new(0),
            match_queue_waits: AtomicU64::new(0),
            first_template_alerts: AtomicU64::new(0),
            faces_recorded: AtomicU64::new(0),
            dropped_recorded: AtomicU64::new(0),
            status: Mutex::new(CameraStatus::Connecting),
            last_frame_us: AtomicU64::new(0),
            times: Mutex::new(Vec::new()),
            frame_times: Mutex::new(Vec::new()),
            view: Default::default(),
        }
    }
}

pub(crate) fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

/// Raises `peak` to `value` if it is higher.
pub(crate) fn peak(peak: &AtomicU64, value: u64) {
    peak.fetch_max(value, Ordering::Relaxed);
}

fn get(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

impl Counters {
    /// A frame arrived from the decoder now.
    pub fn frame_arrived(&self) {
        self.last_frame_us
            .store(monotonic_us() + 1, Ordering::Relaxed);
    }

    /// How long since the last frame, if one ever came.
    pub fn silent(&self) -> Option<std::time::Duration> {
        match self.last_frame_us.load(Ordering::Relaxed) {
            0 => None,
            t => Some(std::time::Duration::from_micros(
                monotonic_us().saturating_sub(t - 1),
            )),
        }
    }

    pub fn set_status(&self, s: CameraStatus) {
        *self.status.lock().unwrap_or_else(|e| e.into_inner()) = s;
    }

    pub fn status(&self) -> CameraStatus {
        *self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the recognition time of one alert.
    pub fn recognition_time(&self, ms: u32) {
        keep(&self.times, ms);
    }

    /// Every recognition time kept, oldest first.
    pub fn recognition_times(&self) -> Vec<u32> {
        self.times.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Records how long the frame that raised an alert took from decoder to
    /// store (the pipeline's own latency, without the wait for a good face).
    pub fn matching_frame_time(&self, ms: u32) {
        keep(&self.frame_times, ms);
    }

    pub fn matching_frame_times(&self) -> Vec<u32> {
        self.frame_times
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn keep(times: &Mutex<Vec<u32>>, ms: u32) {
    let mut t = times.lock().unwrap_or_else(|e| e.into_inner());
    if t.len() == KEEP_TIMES {
        t.remove(0);
    }
    t.push(ms);
}

/// Nearest-rank percentiles of recognition times.
pub fn percentiles(times: &[u32]) -> Option<Percentiles> {
    if times.is_empty() {
        return None;
    }
    let mut s = times.to_vec();
    s.sort_unstable();
    let at = |p: f64| s[((p / 100.0 * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1];
    Some(Percentiles {
        p50: at(50.0),
        p90: at(90.0),
        p95: at(95.0),
        max: *s.last().unwrap(),
    })
}

/// A camera's figures at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct CameraFigures {
    pub camera: String,
    pub location: String,
    pub status: CameraStatus,
    pub frames_decoded: u64,
    pub frames_analysed: u64,
    pub frames_dropped: u64,
    pub frames_paused: u64,
    pub detections: u64,
    pub outside_zone: u64,
    pub tracks: u64,
    pub faces_scanned: u64,
    /// Faces scanned and frames dropped not yet written to the store: the
    /// store's totals plus these are the deployment's totals now.
    pub faces_unrecorded: u64,
    pub dropped_unrecorded: u64,
    pub templates: u64,
    pub matches: u64,
    pub alerts: u64,
    /// Frames analysed per second since the camera started.
    pub analysed_fps: f64,
    /// Frames decoded per second since the camera started.
    pub decoded_fps: f64,
    /// Mean analysis time of a frame (detection, tracking, templates, search).
    pub analysis_ms_per_frame: f64,
    pub recognition_ms: Option<Percentiles>,
    /// From the arrival of the frame that matched to the alert's hand-off to
    /// the store: the part of recognition time the pipeline's speed decides.
    pub matching_frame_ms: Option<Percentiles>,
    /// Alerts decided on the first face of a track that passed the gate.
    pub first_template_alerts: u64,
    /// Most frames waiting for analysis at once.
    pub peak_frames_waiting: u64,
    /// Most matches waiting to be written as alerts at once.
    pub peak_matches_pending: u64,
    /// Seconds since the decoder last delivered a frame; `None` before the first.
    pub silent_s: Option<f64>,
    /// Times analysis waited for room in the bounded match queue.
    pub match_queue_waits: u64,
}

impl CameraFigures {
    pub(crate) fn of(name: &str, location: &str, c: &Counters, since: Instant) -> Self {
        let secs = since.elapsed().as_secs_f64().max(1e-3);
        let analysed = get(&c.frames_analysed);
        Self {
            camera: name.to_string(),
            location: location.to_string(),
            status: c.status(),
            frames_decoded: get(&c.frames_decoded),
            frames_analysed: analysed,
            frames_dropped: get(&c.frames_dropped),
            frames_paused: get(&c.frames_paused),
            detections: get(&c.detections),
            outside_zone: get(&c.outside_zone),
            tracks: get(&c.tracks),
            faces_scanned: get(&c.faces_scanned),
            faces_unrecorded: get(&c.faces_scanned).saturating_sub(get(&c.faces_recorded)),
            dropped_unrecorded: get(&c.frames_dropped).saturating_sub(get(&c.dropped_recorded)),
            templates: get(&c.templates),
            matches: get(&c.matches),
            alerts: get(&c.alerts),
            analysed_fps: analysed as f64 / secs,
            decoded_fps: get(&c.frames_decoded) as f64 / secs,
            analysis_ms_per_frame: get(&c.analysis_ms) as f64 / analysed.max(1) as f64,
            recognition_ms: percentiles(&c.recognition_times()),
            matching_frame_ms: percentiles(&c.matching_frame_times()),
            first_template_alerts: get(&c.first_template_alerts),
            peak_frames_waiting: get(&c.peak_frames_waiting),
            peak_matches_pending: get(&c.peak_matches_pending),
            match_queue_waits: get(&c.match_queue_waits),
            silent_s: c.silent().map(|d| d.as_secs_f64()),
        }
    }
}

fn monotonic_us() -> u64 {
    use lfr_base::Clock;
    lfr_base::RealClock.monotonic().as_micros() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert!(percentiles(&[]).is_none());
        let t: Vec<u32> = (1..=100).collect();
        let p = percentiles(&t).unwrap();
        assert_eq!((p.p50, p.p90, p.p95, p.max), (50, 90, 95, 100));
        let c = Counters::default();
        for ms in [300, 100, 200] {
            c.recognition_time(ms);
        }
        assert_eq!(percentiles(&c.recognition_times()).unwrap().p50, 200);
    }

    #[test]
    fn a_camera_is_silent_since_its_last_frame() {
        let c = Counters::default();
        assert_eq!(c.silent(), None, "no frame yet");
        c.frame_arrived();
        assert!(c.silent().unwrap() < std::time::Duration::from_secs(5));
    }
}
