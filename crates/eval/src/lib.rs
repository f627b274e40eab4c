//! Measuring the engine the way a reviewer would: on labelled face sets, by
//! the standard protocols, with the figures an Authorising Officer needs.

pub mod combine;
pub mod exclusions;
pub mod faceset;
pub mod fused;
pub mod lfw;
pub mod lfw_bench;
pub mod lookalike;
pub mod margin;
pub mod pairs;
pub mod people;
pub mod verification;
