//! The recognition engine: a frame goes in, faces with quality measures and
//! biometric templates come out, and two templates give a calibrated
//! Similarity Score.
//!
//! The engine knows model files and pixels. It knows nothing of deployments,
//! databases or HTTP: those live in other crates and call into this one.
//!
//! The flow of one face:
//! `Frame -> detect -> Face{box, landmarks, quality} -> align -> Chip -> describe -> Template`,
//! then `Template::compare` gives a distance that `calibration` turns into a score.

pub mod align;
pub mod calibration;
pub mod checks;
pub mod describe;
pub mod detect;
pub mod dlib_format;
pub mod draw;
pub mod fusion;
pub mod geometry;
pub mod image_file;
pub mod landmarks;
pub mod normalise;
pub mod onnx;
pub mod package;
pub mod pipeline;
pub mod quality;
pub mod runtime;
pub mod search;
pub mod simd;
pub mod template;
