//! The hand-off between the cameras and the analysis workers.
//!
//! Each camera has a slot holding at most [`SLOT_FRAMES`] frames. A camera
//! never waits: when its slot is full, the oldest frame in it is dropped and
//! counted, so analysis always works on the newest picture and memory stays
//! bounded whatever the cameras send. Workers take frames camera by camera
//! in turn (the camera served longest ago first), so when the machine cannot
//! keep up every camera's analysed frame rate falls by the same share rather
//! than one camera starving the others. A camera is analysed by one worker
//! at a time, so its tracker sees its frames in order.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use lfr_video::Frame;

use crate::analysis::CameraAnalysis;
use crate::figures::{Counters, add, peak};

/// Frames waiting per camera. One: a worker that frees up takes the newest
/// frame, never one that was already stale when the worker was busy.
pub const SLOT_FRAMES: usize = 1;

struct Slot {
    frames: VecDeque<Frame>,
    /// `None` while a worker is analysing this camera.
    analysis: Option<Box<CameraAnalysis>>,
    /// The turn at which a worker last took from this camera.
    served: u64,
    /// The picture jumped (a looped file started again) since the last take.
    restarted: bool,
    counters: Arc<Counters>,
}

struct State {
    slots: Vec<Slot>,
    turn: u64,
}

/// Shared by the source threads (which push) and the workers (which take).
pub struct Handoff {
    state: Mutex<State>,
    ready: Condvar,
    stop: AtomicBool,
}

/// A frame and the analysis state of its camera, lent to one worker.
pub struct Work {
    pub camera: usize,
    pub frame: Frame,
    pub analysis: Box<CameraAnalysis>,
    /// The camera's picture jumped before this frame: its tracks must end.
    pub restarted: bool,
}

impl Handoff {
    pub fn new(cameras: Vec<(Box<CameraAnalysis>, Arc<Counters>)>) -> Self {
        Self {
            state: Mutex::new(State {
                slots: cameras
                    .into_iter()
                    .map(|(a, counters)| Slot {
                        frames: VecDeque::with_capacity(SLOT_FRAMES),
                        analysis: Some(a),
                        served: 0,
                        restarted: false,
                        counters,
                    })
                    .collect(),
                turn: 0,
            }),
            ready: Condvar::new(),
            stop: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Offers a camera's new frame; never blocks on analysis.
    pub fn push(&self, camera: usize, frame: Frame) {
        let mut s = self.lock();
        let slot = &mut s.slots[camera];
        add(&slot.counters.frames_decoded, 1);
        slot.counters.frame_arrived();
        if slot.frames.len() >= SLOT_FRAMES {
            slot.frames.pop_front();
            add(&slot.counters.frames_dropped, 1);
        }
        slot.frames.push_back(frame);
        peak(&slot.counters.peak_frames_waiting, slot.frames.len() as u64);
        drop(s);
        self.ready.notify_one();
    }

    /// The next piece of work, waiting for one; `None` once stopped.
    pub fn take(&self) -> Option<Work> {
        let mut s = self.lock();
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return None;
            }
            let pick = s
                .slots
                .iter()
                .enumerate()
                .filter(|(_, sl)| !sl.frames.is_empty() && sl.analysis.is_some())
                .min_by_key(|(_, sl)| sl.served)
                .map(|(i, _)| i);
            if let Some(i) = pick {
                s.turn += 1;
                let turn = s.turn;
                let slot = &mut s.slots[i];
                slot.served = turn;
                let frame = slot.frames.pop_front().expect("non-empty");
                let analysis = slot.analysis.take().expect("present");
                return Some(Work {
                    camera: i,
                    frame,
                    analysis,
                    restarted: std::mem::take(&mut slot.restarted),
                });
            }
            s = self
                .ready
                .wait_timeout(s, Duration::from_millis(200))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Says that a camera's picture jumped (a looped file started again):
    /// the worker that takes its next frame ends the camera's tracks first,
    /// so that no one's passage spans the jump.
    pub fn restart(&self, camera: usize) {
        self.lock().slots[camera].restarted = true;
    }

    /// Returns a camera's analysis state after a frame.
    pub fn give_back(&self, camera: usize, analysis: Box<CameraAnalysis>) {
        self.lock().slots[camera].analysis = Some(analysis);
        // Another worker may be waiting for exactly this camera.
        self.ready.notify_all();
    }

    /// Wakes every worker and makes `take` return `None`. Frames still
    /// waiting are dropped with the hand-off.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.ready.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::AnalysisConfig;
    use std::time::Instant;

    fn frame(index: u64) -> Frame {
        Frame {
            image: image::RgbImage::new(4, 4),
            index,
            captured: Instant::now(),
        }
    }

    #[test]
    fn newest_frame_wins_and_a_jump_is_told_once() {
        let counters = Arc::new(Counters::default());
        let analysis = CameraAnalysis::new(
            "c".into(),
            None,
            AnalysisConfig::default(),
            counters.clone(),
        );
        let h = Handoff::new(vec![(Box::new(analysis), counters.clone())]);
        h.push(0, frame(1));
        h.push(0, frame(2));
        assert_eq!(counters.frames_dropped.load(Ordering::Relaxed), 1);
        let w = h.take().unwrap();
        assert_eq!((w.frame.index, w.restarted), (2, false));
        h.give_back(0, w.analysis);
        h.restart(0);
        h.push(0, frame(0));
        let w = h.take().unwrap();
        assert_eq!((w.frame.index, w.restarted), (0, true));
        h.give_back(0, w.analysis);
        h.push(0, frame(1));
        assert!(!h.take().unwrap().restarted, "told once");
    }
}
