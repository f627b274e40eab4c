//! Whether the Similarity Score means on the video's tracks what it means
//! on the photographs it was calibrated on.
//!
//! A score `s` stands for a false match rate of `10^(-10 s)`, measured on
//! LFW people A-M. Live searches compare a track's fused frames, which are
//! more alike than independent photographs, with fused references; whether
//! the scale still holds there is measured here rather than assumed. Every
//! search of a track's probe compares it with every enrolled identity; each
//! identity who is not the passer is an impostor comparison. The share of
//! those at or above `s` is the false match rate measured on tracks, by the
//! number of frames fused.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::record::Record;
use crate::score::{Attribution, Rate};
use crate::truth::Truth;

/// Scores the check reports at (the record keeps scores from 0.25 up).
pub const LEVELS: [f64; 4] = [0.3, 0.4, 0.5, 0.6];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TailRow {
    /// Frames fused into the probe (0: all searches together).
    pub frames: u32,
    pub score: f64,
    /// The calibrated false match rate the score stands for.
    pub nominal: f64,
    /// Impostor comparisons at or above the score, over all impostor
    /// comparisons, with the Wilson interval.
    pub measured: Rate,
}

/// One row per level for each number of frames fused, then for all.
pub fn tail(truth: &Truth, record: &Record, at: &Attribution) -> Vec<TailRow> {
    let max_frames = record.probes.iter().map(|p| p.frames).max().unwrap_or(0);
    // (frames, level) -> (at or above, comparisons); frames 0 is the total.
    let mut counts = vec![[(0u64, 0u64); LEVELS.len()]; max_frames as usize + 1];
    let mut enrolled: HashMap<&str, u64> = HashMap::new();
    for s in &record.subjects {
        *enrolled.entry(s.person.as_str()).or_default() += 1;
    }
    for (probe, pass) in record.probes.iter().zip(&at.probes) {
        // A search on no passer (a false detection) has no impostors to speak of.
        let Some(pass) = pass else { continue };
        let person = truth.passes[*pass as usize].person.as_str();
        let impostors = record.subjects.len() as u64 - enrolled.get(person).copied().unwrap_or(0);
        let mut above = [0u64; LEVELS.len()];
        for &(s, score) in &probe.all {
            if record.subjects[s as usize].person != person {
                for (li, &level) in LEVELS.iter().enumerate() {
                    above[li] += u64::from(score >= level);
                }
            }
        }
        for f in [0, probe.frames as usize] {
            for li in 0..LEVELS.len() {
                counts[f][li].0 += above[li];
                counts[f][li].1 += impostors;
            }
        }
    }
    let mut rows = Vec::new();
    for f in (1..counts.len()).chain([0]) {
        for (li, &level) in LEVELS.iter().enumerate() {
            let (k, n) = counts[f][li];
            if n > 0 {
                rows.push(TailRow {
                    frames: f as u32,
                    score: level,
                    nominal: 10f64.powf(-10.0 * level),
                    measured: Rate::of(k, n),
                });
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;
    use crate::score::attribute;

    #[test]
    fn counts_impostors_only_by_frames_fused() {
        let truth = fixture::truth();
        let record = fixture::record();
        let at = attribute(&truth, &record);
        let rows = tail(&truth, &record, &at);
        assert!(!rows.is_empty());
        let all: Vec<&TailRow> = rows.iter().filter(|r| r.frames == 0).collect();
        assert_eq!(all.len(), LEVELS.len());
        for r in &rows {
            assert!(r.measured.k <= r.measured.n);
            assert!((r.nominal - 10f64.powf(-10.0 * r.score)).abs() < 1e-15);
        }
        // Higher levels never count more.
        assert!(all.windows(2).all(|w| w[1].measured.k <= w[0].measured.k));
        // A mated score is never counted: every counted score is someone else's.
        let impostors_at_03: u64 = record
            .probes
            .iter()
            .zip(&at.probes)
            .filter_map(|(p, pass)| pass.map(|x| (p, x)))
            .map(|(p, pass)| {
                let person = &truth.passes[pass as usize].person;
                p.all
                    .iter()
                    .filter(|(s, sc)| *sc >= 0.3 && &record.subjects[*s as usize].person != person)
                    .count() as u64
            })
            .sum();
        assert_eq!(all[0].measured.k, impostors_at_03);
    }
}
