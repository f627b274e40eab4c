//! What a camera is to lfr: a name, a place, where its pictures come from,
//! and the part of the picture where recognition is authorised.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One camera of a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraConfig {
    /// Unique within the session; recorded with every alert and count.
    pub name: String,
    /// Where it points, in words an operator knows ("Queen Street, north entrance").
    pub location: String,
    pub source: Source,
    /// The Zone of Recognition in frame pixels. Faces whose centre lies
    /// outside it are neither tracked nor compared; `None` is the whole frame.
    #[serde(default)]
    pub zone: Option<Zone>,
    /// The smallest face this camera must find, pixels between the eyes
    /// (`None`: the process's `--min-eyes`). A camera whose passers come
    /// close asks for more, and its frames are searched shrunk further.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_eyes: Option<MinEyes>,
}

/// Pixels between the eyes of the smallest face a camera must find: from
/// 20, the quality gate's floor (a smaller face is never recognised), to
/// 200.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "f32", into = "f32")]
pub struct MinEyes(f32);

impl MinEyes {
    pub const RANGE: std::ops::RangeInclusive<f32> = 20.0..=200.0;

    pub fn new(px: f32) -> Result<Self, String> {
        match Self::RANGE.contains(&px) {
            true => Ok(Self(px)),
            false => Err(format!(
                "the smallest face must be 20 to 200 pixels between the eyes (20 is the quality gate's floor: smaller faces are never recognised), not {px}"
            )),
        }
    }

    pub fn px(self) -> f32 {
        self.0
    }
}

impl TryFrom<f32> for MinEyes {
    type Error = String;
    fn try_from(v: f32) -> Result<Self, String> {
        Self::new(v)
    }
}

impl From<MinEyes> for f32 {
    fn from(m: MinEyes) -> Self {
        m.0
    }
}

/// Where frames come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A network camera (`rtsp://...`; H.264 or H.265, whatever FFmpeg reads).
    /// Reconnected with exponential backoff when it drops.
    Rtsp { url: String },
    /// A video file (or a FIFO). `realtime` paces it at its own frame rate,
    /// as a camera would; `looped` starts it again at its end, after
    /// `loop_pause_s` seconds without a picture (a quiet street between
    /// replays of a short clip, so a demo's passers do not come round again
    /// every few seconds).
    File {
        path: PathBuf,
        #[serde(default)]
        realtime: bool,
        #[serde(default)]
        looped: bool,
        #[serde(default)]
        loop_pause_s: f64,
    },
    /// A folder of JPEG/PNG images, read in name order at `fps`.
    Images {
        dir: PathBuf,
        fps: f64,
        #[serde(default)]
        looped: bool,
    },
}

impl Source {
    /// How the source is described in events and logs (no credentials:
    /// the user-info part of a URL is cut).
    pub fn describe(&self) -> String {
        match self {
            Source::Rtsp { url } => lfr_video::redact(url),
            Source::File { path, .. } => path.display().to_string(),
            Source::Images { dir, .. } => format!("{}/ (images)", dir.display()),
        }
    }

    /// The pause after each replay of a looped file; none for other sources.
    pub fn loop_pause(&self) -> Duration {
        match self {
            Source::File { loop_pause_s, .. } => {
                Duration::try_from_secs_f64(*loop_pause_s).unwrap_or_default()
            }
            _ => Duration::ZERO,
        }
    }
}

/// A region of the frame: a polygon, given clockwise or anticlockwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<[f32; 2]>", into = "Vec<[f32; 2]>")]
pub struct Zone {
    points: Vec<[f32; 2]>,
}

impl Zone {
    /// An axis-aligned rectangle.
    pub fn rect(x: f32, y: f32, w: f32, h: f32) -> Self {
        Self {
            points: vec![[x, y], [x + w, y], [x + w, y + h], [x, y + h]],
        }
    }

    /// A polygon of at least three finite points.
    pub fn polygon(points: Vec<[f32; 2]>) -> Result<Self, String> {
        if points.len() < 3 {
            return Err(format!(
                "a zone needs at least three points, {} given",
                points.len()
            ));
        }
        if points.iter().flatten().any(|v| !v.is_finite()) {
            return Err("a zone's points must be finite numbers".into());
        }
        Ok(Self { points })
    }

    pub fn points(&self) -> &[[f32; 2]] {
        &self.points
    }

    /// Where the detector must look in a `w` x `h` frame to find every face
    /// whose centre lies inside: the zone's bounding box widened on each
    /// side by a fifth of the frame's height, so that a face of up to two
    /// fifths of it (about 170 px between the eyes at 1080p) lies whole in
    /// it; a larger one reaching into the zone is cut by the box's side, and
    /// the frame is then searched whole ([`crate::analysis::CameraAnalysis::detect`]).
    /// `None` when the box is nearly the whole frame (searched whole).
    pub fn search_box(&self, w: u32, h: u32) -> Option<lfr_engine::geometry::BoundingBox> {
        let margin = Self::SEARCH_MARGIN * h as f32;
        let b = self.bounds();
        let (x0, y0, x1, y1) = (b.x, b.y, b.right(), b.bottom());
        let (x0, y0) = ((x0 - margin).max(0.0), (y0 - margin).max(0.0));
        let (x1, y1) = ((x1 + margin).min(w as f32), (y1 + margin).min(h as f32));
        let area = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
        (area < 0.9 * w as f32 * h as f32).then_some(lfr_engine::geometry::BoundingBox {
            x: x0,
            y: y0,
            w: (x1 - x0).max(0.0),
            h: (y1 - y0).max(0.0),
        })
    }

    /// How far beyond the zone its search reaches, as a share of the
    /// frame's height ([`Zone::search_box`]).
    pub const SEARCH_MARGIN: f32 = 0.2;

    /// The smallest rectangle holding the zone.
    pub fn bounds(&self) -> lfr_engine::geometry::BoundingBox {
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for &[x, y] in &self.points {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
        lfr_engine::geometry::BoundingBox {
            x: x0,
            y: y0,
            w: x1 - x0,
            h: y1 - y0,
        }
    }

    /// Whether (x, y) lies inside (even-odd rule; points on an edge may go
    /// either way, which does not matter at the scale of a face).
    pub fn contains(&self, x: f32, y: f32) -> bool {
        let mut inside = false;
        let n = self.points.len();
        for i in 0..n {
            let [xi, yi] = self.points[i];
            let [xj, yj] = self.points[(i + n - 1) % n];
            if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
                inside = !inside;
            }
        }
        inside
    }
}

impl TryFrom<Vec<[f32; 2]>> for Zone {
    type Error = String;
    fn try_from(v: Vec<[f32; 2]>) -> Result<Self, String> {
        Zone::polygon(v)
    }
}

impl From<Zone> for Vec<[f32; 2]> {
    fn from(z: Zone) -> Self {
        z.points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rectangles_and_concave_polygons() {
        let r = Zone::rect(10.0, 10.0, 100.0, 50.0);
        assert!(r.contains(50.0, 30.0));
        assert!(!r.contains(5.0, 30.0));
        assert!(!r.contains(50.0, 70.0));
        // An L shape: the notch at the top right is outside.
        let l = Zone::polygon(vec![
            [0.0, 0.0],
            [50.0, 0.0],
            [50.0, 50.0],
            [100.0, 50.0],
            [100.0, 100.0],
            [0.0, 100.0],
        ])
        .unwrap();
        assert!(l.contains(25.0, 25.0));
        assert!(!l.contains(75.0, 25.0));
        assert!(l.contains(75.0, 75.0));
        assert!(Zone::polygon(vec![[0.0, 0.0], [1.0, 1.0]]).is_err());
        assert!(Zone::polygon(vec![[0.0, 0.0], [1.0, f32::NAN], [2.0, 0.0]]).is_err());
    }

    #[test]
    fn a_zone_is_searched_with_room_for_the_faces_centred_in_it() {
        let z = Zone::rect(200.0, 560.0, 800.0, 200.0);
        let b = z.search_box(1920, 1080).unwrap();
        // A fifth of the frame's height on each side, clipped to the frame.
        assert_eq!((b.x, b.y, b.w, b.h), (0.0, 344.0, 1216.0, 632.0));
        // Nearly the whole frame is searched whole.
        assert!(
            Zone::rect(0.0, 100.0, 1920.0, 900.0)
                .search_box(1920, 1080)
                .is_none()
        );
        // Outside the frame: nothing to search.
        let off = Zone::rect(3000.0, 100.0, 100.0, 100.0)
            .search_box(1920, 1080)
            .unwrap();
        assert_eq!(off.w, 0.0);
    }

    #[test]
    fn a_cameras_smallest_face_is_read_and_bounded() {
        let c: CameraConfig = serde_json::from_str(
            r#"{"name":"c","location":"l","source":{"kind":"file","path":"a.mp4"},"min_eyes":30}"#,
        )
        .unwrap();
        assert_eq!(c.min_eyes.map(MinEyes::px), Some(30.0));
        for bad in ["19", "201", "-1"] {
            let e = serde_json::from_str::<CameraConfig>(&format!(
                r#"{{"name":"c","location":"l","source":{{"kind":"file","path":"a.mp4"}},"min_eyes":{bad}}}"#
            ))
            .unwrap_err();
            assert!(e.to_string().contains("quality gate's floor"), "{e}");
        }
        let plain: CameraConfig = serde_json::from_str(
            r#"{"name":"c","location":"l","source":{"kind":"file","path":"a.mp4"}}"#,
        )
        .unwrap();
        assert_eq!(plain.min_eyes, None);
        assert!(!serde_json::to_string(&plain).unwrap().contains("min_eyes"));
    }

    #[test]
    fn configs_read_from_json_and_urls_hide_credentials() {
        let c: CameraConfig = serde_json::from_str(
            r#"{"name":"cam1","location":"North gate",
                "source":{"kind":"rtsp","url":"rtsp://admin:secret@10.0.0.5/stream1"},
                "zone":[[0,0],[100,0],[100,100]]}"#,
        )
        .unwrap();
        assert_eq!(c.source.describe(), "rtsp://10.0.0.5/stream1");
        assert!(c.zone.unwrap().contains(80.0, 10.0));
        let bad: Result<CameraConfig, _> = serde_json::from_str(
            r#"{"name":"c","location":"l","source":{"kind":"file","path":"a.mp4"},"zone":[[0,0]]}"#,
        );
        assert!(bad.unwrap_err().to_string().contains("three points"));
        let demo: Source = serde_json::from_str(
            r#"{"kind":"file","path":"a.mp4","realtime":true,"looped":true,"loop_pause_s":20}"#,
        )
        .unwrap();
        assert!(matches!(demo, Source::File { loop_pause_s, .. } if loop_pause_s == 20.0));
        let plain: Source = serde_json::from_str(r#"{"kind":"file","path":"a.mp4"}"#).unwrap();
        assert!(
            matches!(plain, Source::File { looped: false, loop_pause_s, .. } if loop_pause_s == 0.0)
        );
    }
}
