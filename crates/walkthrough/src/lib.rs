//! Walk-throughs: a reproducible CCTV-like video of people passing through a
//! zone of recognition, built from a labelled face set, with the ground truth
//! beside it; the live pipeline's analysis run over every frame; and the
//! figures the College of Policing's APP asks for (True Recognition Rate,
//! System False Alert Rate, recognition time, faces scanned), threshold
//! sweeps for watchlists of 1,000 and 10,000, and the same figures by
//! perceived group. See `docs/evaluation.md`.

pub mod build;
pub mod cast;
pub mod encode;
pub mod equity;
#[cfg(test)]
mod fixture;
pub mod head;
pub mod html;
pub mod record;
pub mod render;
pub mod report;
pub mod rng;
pub mod run;
pub mod score;
pub mod script;
pub mod sweep;
pub mod tail;
pub mod truth;
