//! The hand-off between the cameras and the analysis workers.
//!
//! Each camera has a slot holding at most [`SLOT_FRAMES`] frames. A camera
//! never waits: when its slot is full, the oldest frame in it is dropped and
//! counted, so analysis always works on the newest picture and memory stays
//! bounded whatever the cameras send. Workers take frames camera by camera
//! in turn (the camera served longest ago first), so when the machine cannot
//! keep up every camera's analysed frame rate falls by the same share rather
//! than one camera starving the others.
//!
//! A camera's frames are analysed in the order they were taken, one at a
//! time, so its tracker sees them in order. But the faces of a frame may be
//! searched for ([`ZoneSearch`]) by one worker while another analyses the
//! frame before: so one camera keeps every core busy, each worker's models
//! running on one thread, rather than one worker splitting each model
//! across threads that wait for each other.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use lfr_video::Frame;

use crate::analysis::{CameraAnalysis, ZoneSearch};
use crate::figures::{Counters, add, peak};

/// Frames waiting per camera. One: a worker that frees up takes the newest
/// frame, never one that was already stale when the worker was busy.
pub const SLOT_FRAMES: usize = 1;

struct Slot {
    frames: VecDeque<Frame>,
    /// `None` while a worker is analysing this camera.
    analysis: Option<Box<CameraAnalysis>>,
    /// Where the camera's faces are looked for, when a frame may be
    /// searched before the one before it is analysed.
    ahead: Option<Arc<ZoneSearch>>,
    /// Frames taken by workers, and frames whose analysis ended: the next
    /// frame to analyse is the one taken as number `done`.
    taken: u64,
    done: u64,
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

/// A frame taken by one worker.
pub struct Work {
    pub camera: usize,
    pub frame: Frame,
    /// Its place in the camera's order: [`Handoff::analysis`] lends the
    /// camera's analysis for it only after the frames taken before.
    pub number: u64,
    /// Where to look for its faces before its turn; `None` when they can
    /// be looked for only in turn ([`CameraAnalysis::search_ahead`]).
    pub search: Option<Arc<ZoneSearch>>,
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
                        ahead: a.search_ahead(),
                        analysis: Some(a),
                        taken: 0,
                        done: 0,
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

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a change (a frame, an analysis given back, the stop), or
    /// 200 ms.
    fn wait<'a>(&self, s: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.ready
            .wait_timeout(s, Duration::from_millis(200))
            .unwrap_or_else(|e| e.into_inner())
            .0
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

    /// The next frame to work on, waiting for one; `None` once stopped. A
    /// camera whose faces can only be looked for in turn gives a frame only
    /// once the frame before is analysed.
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
                .filter(|(_, sl)| {
                    !sl.frames.is_empty() && (sl.ahead.is_some() || sl.taken == sl.done)
                })
                .min_by_key(|(_, sl)| sl.served)
                .map(|(i, _)| i);
            if let Some(i) = pick {
                s.turn += 1;
                let turn = s.turn;
                let slot = &mut s.slots[i];
                slot.served = turn;
                let frame = slot.frames.pop_front().expect("non-empty");
                let number = slot.taken;
                slot.taken += 1;
                return Some(Work {
                    camera: i,
                    frame,
                    number,
                    search: slot.ahead.clone(),
                    restarted: std::mem::take(&mut slot.restarted),
                });
            }
            s = self.wait(s);
        }
    }

    /// Says that a camera's picture jumped (a looped file started again):
    /// the worker that takes its next frame ends the camera's tracks first,
    /// so that no one's passage spans the jump.
    pub fn restart(&self, camera: usize) {
        self.lock().slots[camera].restarted = true;
    }

    /// Lends the camera's analysis for frame `w`, once every frame taken
    /// before it is analysed (waiting for that); `None` if the hand-off
    /// stops while it waits.
    pub fn analysis(&self, w: &Work) -> Option<Box<CameraAnalysis>> {
        let mut s = self.lock();
        loop {
            let slot = &mut s.slots[w.camera];
            if slot.done == w.number
                && let Some(a) = slot.analysis.take()
            {
                return Some(a);
            }
            if self.stop.load(Ordering::Relaxed) {
                return None;
            }
            s = self.wait(s);
        }
    }

    /// Returns a camera's analysis state after a frame: the camera's next
    /// frame may be analysed.
    pub fn give_back(&self, camera: usize, analysis: Box<CameraAnalysis>) {
        let mut s = self.lock();
        let slot = &mut s.slots[camera];
        slot.analysis = Some(analysis);
        slot.done += 1;
        drop(s);
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

    /// A hand-off for one camera with the default analysis, and its counts.
    fn one_camera() -> (Handoff, Arc<Counters>) {
        let counters = Arc::new(Counters::default());
        let analysis = CameraAnalysis::new(
            "c".into(),
            None,
            AnalysisConfig::default(),
            counters.clone(),
        );
        (
            Handoff::new(vec![(Box::new(analysis), counters.clone())]),
            counters,
        )
    }

    #[test]
    fn newest_frame_wins_and_a_jump_is_told_once() {
        let (h, counters) = one_camera();
        h.push(0, frame(1));
        h.push(0, frame(2));
        assert_eq!(counters.frames_dropped.load(Ordering::Relaxed), 1);
        let w = h.take().unwrap();
        assert_eq!((w.frame.index, w.restarted), (2, false));
        h.give_back(0, h.analysis(&w).unwrap());
        h.restart(0);
        h.push(0, frame(0));
        let w = h.take().unwrap();
        assert_eq!((w.frame.index, w.restarted), (0, true));
        h.give_back(0, h.analysis(&w).unwrap());
        h.push(0, frame(1));
        assert!(!h.take().unwrap().restarted, "told once");
    }

    #[test]
    fn a_frame_searched_ahead_is_analysed_only_after_the_one_before() {
        let h = Arc::new(one_camera().0);
        h.push(0, frame(1));
        let first = h.take().unwrap();
        h.push(0, frame(2));
        let second = h
            .take()
            .expect("a second frame while the first is searched");
        assert!(first.search.is_some() && second.search.is_some());
        assert_eq!((first.number, second.number), (0, 1));
        let given_back = Arc::new(AtomicBool::new(false));
        let later = {
            let (h, given_back) = (h.clone(), given_back.clone());
            std::thread::spawn(move || {
                // Asked for first, while the camera's analysis is free.
                let a = h.analysis(&second).unwrap();
                let waited = given_back.load(Ordering::SeqCst);
                h.give_back(0, a);
                waited
            })
        };
        std::thread::sleep(Duration::from_millis(100));
        let a = h.analysis(&first).unwrap();
        given_back.store(true, Ordering::SeqCst);
        h.give_back(0, a);
        assert!(
            later.join().unwrap(),
            "the second frame waited for the first"
        );
    }
}
