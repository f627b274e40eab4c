//! Face tracking across frames, so that one person passing is one track:
//! counted once as a face scanned, described only at their best frames,
//! and alerted at most once per watchlist subject.
//!
//! Association is greedy on a cost: boxes that overlap (intersection over
//! union at least `min_iou`) pair first, by overlap; then boxes whose
//! centres are close, measured in face widths. The allowed jump grows with
//! the time since the track was last seen, because when analysis falls
//! behind (frames dropped) a walking person moves further between the
//! frames that are analysed. A face of very different size is never the
//! same track.

use std::time::{Duration, Instant};

use lfr_engine::fusion::TrackProbe;
use lfr_engine::geometry::BoundingBox;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackerConfig {
    /// Overlap at and above which a detection continues a track.
    pub min_iou: f32,
    /// Centre jump allowed between consecutive analysed frames, in face widths.
    pub max_jump: f32,
    /// Extra jump allowed per second since the track was last seen, in face
    /// widths (a brisk walk crosses about two face widths a second at 5 m).
    pub jump_per_second: f32,
    /// Largest ratio of box widths between a track and its next detection.
    pub max_size_ratio: f32,
    /// A track not seen for this long has ended: the person has left, or
    /// turned away for good.
    #[serde(with = "millis")]
    pub max_age: Duration,
    /// A track not seen for longer than this that takes a detection again
    /// is [`Track::uncertain`].
    #[serde(with = "millis", default = "default_gap")]
    pub gap: Duration,
}

fn default_gap() -> Duration {
    Duration::from_millis(300)
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            min_iou: 0.2,
            max_jump: 1.0,
            jump_per_second: 3.0,
            max_size_ratio: 1.6,
            max_age: Duration::from_millis(1200),
            gap: default_gap(),
        }
    }
}

mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// One person's passage, as far as the pipeline needs to remember it.
/// The only biometric data is `probe`, the templates of the track's best
/// frames, held in memory while the person is in view and zeroed when the
/// track ends (the track is dropped).
#[derive(Debug)]
pub struct Track {
    pub id: u64,
    pub bbox: BoundingBox,
    pub first_seen: Instant,
    pub last_seen: Instant,
    /// Frames in which the track was detected.
    pub hits: u32,
    /// When the first frame that passed the quality gate arrived: the start
    /// of recognition time.
    pub first_qualified: Option<Instant>,
    /// Templates made for this track so far.
    pub described: u32,
    /// When the last template was made.
    pub last_described: Option<Instant>,
    /// Merit of the best face described so far.
    pub best_merit: f32,
    /// Whether the track may have passed to someone else since its last
    /// template: a detection joined it by a jump rather than by overlap,
    /// after a gap, or while another detection could also have continued it
    /// (people crossing, walking abreast). Its next face that passes the
    /// gate is then described, so the identity check sees the change before
    /// the wrong person's frames are fused and searched.
    pub uncertain: bool,
    /// Watchlist subjects this track has alerted on (at most one alert each).
    pub alerted: Vec<u64>,
    /// The best frames' templates, fused into the probe that is searched.
    pub probe: TrackProbe,
}

/// Tracks of one camera.
#[derive(Debug)]
pub struct Tracker {
    config: TrackerConfig,
    tracks: Vec<Track>,
    next_id: u64,
}

fn centre(b: &BoundingBox) -> (f32, f32) {
    (b.x + b.w / 2.0, b.y + b.h / 2.0)
}

impl Tracker {
    pub fn new(config: TrackerConfig) -> Self {
        Self {
            config,
            tracks: Vec::new(),
            next_id: 1,
        }
    }

    pub fn active(&self) -> usize {
        self.tracks.len()
    }

    pub fn track_mut(&mut self, index: usize) -> &mut Track {
        &mut self.tracks[index]
    }

    pub fn track(&self, index: usize) -> &Track {
        &self.tracks[index]
    }

    fn fresh(&mut self, bbox: BoundingBox, at: Instant) -> Track {
        self.next_id += 1;
        Track {
            id: self.next_id - 1,
            bbox,
            first_seen: at,
            last_seen: at,
            hits: 1,
            first_qualified: None,
            described: 0,
            last_described: None,
            best_merit: 0.0,
            uncertain: false,
            alerted: Vec::new(),
            probe: TrackProbe::default(),
        }
    }

    /// Ends the track at `index` and starts a new one in its place, at its
    /// current box: someone else took the place the track followed (a
    /// passer crossing in front, the next person in a queue), as the faces'
    /// templates showed. Returns the ended track (dropping it zeroes its
    /// probe).
    pub fn split(&mut self, index: usize, at: Instant) -> Track {
        let t = self.fresh(self.tracks[index].bbox, at);
        std::mem::replace(&mut self.tracks[index], t)
    }

    /// Where each track's face can be in a frame seen at `at`: its box
    /// widened on every side by as far as [`Tracker::update`] lets a face
    /// jump since the track was last seen, plus the growth a continuing
    /// face may show. A face outside these would start a new track anyway.
    pub fn search_regions(&self, at: Instant) -> Vec<BoundingBox> {
        let c = self.config;
        self.tracks
            .iter()
            .map(|t| {
                let dt = at.saturating_duration_since(t.last_seen).as_secs_f32();
                let reach = c.max_jump + c.jump_per_second * dt;
                let grown = c.max_size_ratio.max(1.0);
                let (cx, cy) = centre(&t.bbox);
                let (w, h) = (t.bbox.w * grown, t.bbox.h * grown);
                let pad = reach * t.bbox.w;
                BoundingBox {
                    x: cx - w / 2.0 - pad,
                    y: cy - h / 2.0 - pad,
                    w: w + 2.0 * pad,
                    h: h + 2.0 * pad,
                }
            })
            .collect()
    }

    /// Ends every track (recognition paused, or the stream restarted).
    pub fn clear(&mut self) -> Vec<Track> {
        std::mem::take(&mut self.tracks)
    }

    /// Takes the detections of a frame seen at `at`. Returns, for each box,
    /// the index of its track (for [`Tracker::track_mut`]) and whether the
    /// track is new; then the tracks that ended (not seen for `max_age`).
    pub fn update(
        &mut self,
        at: Instant,
        boxes: &[BoundingBox],
    ) -> (Vec<(usize, bool)>, Vec<Track>) {
        let c = self.config;
        let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
        // Detections that could continue each track: a track with more than
        // one may pass to the wrong person here.
        let mut candidates = vec![0u32; self.tracks.len()];
        for (ti, t) in self.tracks.iter().enumerate() {
            let dt = at.saturating_duration_since(t.last_seen).as_secs_f32();
            let reach = c.max_jump + c.jump_per_second * dt;
            let (tx, ty) = centre(&t.bbox);
            for (bi, b) in boxes.iter().enumerate() {
                let ratio = (b.w / t.bbox.w.max(1.0)).max(t.bbox.w / b.w.max(1.0));
                if ratio > c.max_size_ratio {
                    continue;
                }
                let iou = t.bbox.iou(b);
                let cost = if iou >= c.min_iou {
                    1.0 - iou
                } else {
                    let (bx, by) = centre(b);
                    let jump = ((bx - tx).powi(2) + (by - ty).powi(2)).sqrt() / t.bbox.w.max(1.0);
                    if jump > reach {
                        continue;
                    }
                    1.0 + jump
                };
                pairs.push((cost, ti, bi));
                candidates[ti] += 1;
            }
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut track_taken = vec![false; self.tracks.len()];
        let mut out: Vec<Option<(usize, bool)>> = vec![None; boxes.len()];
        for (cost, ti, bi) in pairs {
            if track_taken[ti] || out[bi].is_some() {
                continue;
            }
            track_taken[ti] = true;
            out[bi] = Some((ti, false));
            let t = &mut self.tracks[ti];
            let gap = at.saturating_duration_since(t.last_seen) > c.gap;
            t.uncertain |= cost >= 1.0 || gap || candidates[ti] > 1;
            t.bbox = boxes[bi];
            t.last_seen = at;
            t.hits += 1;
        }
        // Tracks not continued and too old end; removing them shifts indices,
        // so end them before numbering new tracks.
        let mut ended = Vec::new();
        let mut keep = Vec::with_capacity(self.tracks.len());
        let mut remap = vec![usize::MAX; self.tracks.len()];
        for (i, t) in std::mem::take(&mut self.tracks).into_iter().enumerate() {
            if at.saturating_duration_since(t.last_seen) > c.max_age {
                ended.push(t);
            } else {
                remap[i] = keep.len();
                keep.push(t);
            }
        }
        self.tracks = keep;
        let mut result = Vec::with_capacity(boxes.len());
        for (bi, o) in out.into_iter().enumerate() {
            match o {
                Some((ti, new)) => result.push((remap[ti], new)),
                None => {
                    let t = self.fresh(boxes[bi], at);
                    self.tracks.push(t);
                    result.push((self.tracks.len() - 1, true));
                }
            }
        }
        (result, ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x: f32, y: f32, w: f32) -> BoundingBox {
        BoundingBox { x, y, w, h: w }
    }

    /// Every face the tracker would take as the track's next lies inside
    /// the track's search region; the region widens with time unseen.
    #[test]
    fn search_regions_hold_every_face_the_track_could_continue_with() {
        let mut t = Tracker::new(TrackerConfig::default());
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        t.update(ms(0), &[b(500.0, 300.0, 40.0)]);
        let inside = |r: &BoundingBox, f: &BoundingBox| {
            f.x >= r.x && f.y >= r.y && f.right() <= r.right() && f.bottom() <= r.bottom()
        };
        for (dt, dx, w) in [
            (40, 38.0, 40.0),
            (40, -30.0, 60.0),
            (500, 80.0, 44.0),
            (500, -80.0, 30.0),
        ] {
            let r = t.search_regions(ms(dt))[0];
            let next = b(500.0 + dx, 300.0 + dx / 2.0, w);
            assert!(inside(&r, &next), "{next:?} outside {r:?} after {dt} ms");
            // The tracker agrees that it continues the track.
            let mut probe = Tracker::new(TrackerConfig::default());
            probe.update(ms(0), &[b(500.0, 300.0, 40.0)]);
            let (r, _) = probe.update(ms(dt), &[next]);
            assert!(!r[0].1, "{next:?} continues the track after {dt} ms");
        }
        let near = t.search_regions(ms(40))[0];
        let later = t.search_regions(ms(500))[0];
        assert!(later.w > near.w * 1.5, "{near:?} then {later:?}");
        assert!(
            Tracker::new(TrackerConfig::default())
                .search_regions(ms(0))
                .is_empty()
        );
    }

    #[test]
    fn walkers_keep_their_tracks_and_leave() {
        let mut t = Tracker::new(TrackerConfig::default());
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        // Two people walking towards each other.
        let (r, _) = t.update(ms(0), &[b(100.0, 100.0, 40.0), b(400.0, 100.0, 40.0)]);
        assert_eq!(r, [(0, true), (1, true)]);
        let ids: Vec<u64> = r.iter().map(|&(i, _)| t.track(i).id).collect();
        let (r, ended) = t.update(ms(100), &[b(380.0, 102.0, 41.0), b(115.0, 100.0, 40.0)]);
        assert!(ended.is_empty());
        assert_eq!((t.track(r[0].0).id, r[0].1), (ids[1], false));
        assert_eq!((t.track(r[1].0).id, r[1].1), (ids[0], false));
        // Half a second of dropped frames: a larger jump is still the same person.
        let (r, _) = t.update(ms(600), &[b(190.0, 100.0, 42.0)]);
        assert_eq!((t.track(r[0].0).id, r[0].1), (ids[0], false));
        // A face of very different size is someone else.
        let (r, _) = t.update(ms(700), &[b(190.0, 100.0, 120.0)]);
        assert!(r[0].1);
        // Someone else in the same place: a new track, the old one ends.
        let (r, _) = t.update(ms(800), &[b(190.0, 100.0, 121.0)]);
        let before = t.track(r[0].0).id;
        let old = t.split(r[0].0, ms(800));
        assert_eq!(old.id, before);
        assert!(t.track(r[0].0).id > before);
        assert_eq!(t.track(r[0].0).bbox, old.bbox);
        // Long gone: the tracks end.
        let (_, ended) = t.update(ms(5000), &[]);
        assert_eq!(ended.len(), 3);
        assert_eq!(t.active(), 0);
    }

    #[test]
    fn a_track_that_may_have_changed_person_is_uncertain() {
        let mut t = Tracker::new(TrackerConfig::default());
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let (r, _) = t.update(ms(0), &[b(100.0, 100.0, 40.0)]);
        let i = r[0].0;
        assert!(!t.track(i).uncertain, "a new track is described anyway");
        // Continued by overlap, alone: certain.
        let (r, _) = t.update(ms(100), &[b(104.0, 102.0, 41.0)]);
        assert!(!t.track(r[0].0).uncertain);
        // Continued by a jump, not by overlap.
        let (r, _) = t.update(ms(200), &[b(140.0, 102.0, 41.0)]);
        assert!(t.track(r[0].0).uncertain);
        t.track_mut(r[0].0).uncertain = false;
        // After a gap.
        let (r, _) = t.update(ms(700), &[b(142.0, 103.0, 41.0)]);
        assert!(t.track(r[0].0).uncertain);
        t.track_mut(r[0].0).uncertain = false;
        // Two detections either of which could continue it (people abreast).
        let (r, _) = t.update(ms(800), &[b(145.0, 103.0, 41.0), b(170.0, 103.0, 41.0)]);
        let (kept, new) = (r[0], r[1]);
        assert!(!kept.1 && new.1);
        assert!(t.track(kept.0).uncertain);
        assert!(!t.track(new.0).uncertain);
    }
}
