//! Points, boxes and the five facial landmarks, in image pixel coordinates
//! (x to the right, y down, origin at the top-left corner of the top-left pixel's centre).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub const fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }

    pub fn distance(self, other: Point) -> f32 {
        ((self.x - other.x).powi(2) + (self.y - other.y).powi(2)).sqrt()
    }
}

/// An axis-aligned box: top-left corner and size.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct BoundingBox {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl BoundingBox {
    pub fn area(&self) -> f32 {
        self.w.max(0.0) * self.h.max(0.0)
    }

    pub fn right(&self) -> f32 {
        self.x + self.w
    }

    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }

    /// Intersection over union, the overlap measure used by non-maximum suppression.
    pub fn iou(&self, other: &BoundingBox) -> f32 {
        let w = (self.right().min(other.right()) - self.x.max(other.x)).max(0.0);
        let h = (self.bottom().min(other.bottom()) - self.y.max(other.y)).max(0.0);
        let inter = w * h;
        let union = self.area() + other.area() - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }
}

/// The five landmarks every detector in lfr produces, in this order:
/// the eye on the image's left, the eye on the image's right, the nose tip,
/// the mouth corner on the image's left and the one on the image's right.
///
/// "Image left" rather than "left eye" because the subject's left eye appears
/// on the image's right, and mixing the two conventions silently ruins alignment.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Landmarks5(pub [Point; 5]);

impl Landmarks5 {
    pub fn left_eye(&self) -> Point {
        self.0[0]
    }
    pub fn right_eye(&self) -> Point {
        self.0[1]
    }
    pub fn nose(&self) -> Point {
        self.0[2]
    }
    pub fn mouth_left(&self) -> Point {
        self.0[3]
    }
    pub fn mouth_right(&self) -> Point {
        self.0[4]
    }

    /// Distance between the eye centres in pixels: the measure of resolution
    /// the APP's image guidance uses (20-100 px for a watchlist image).
    pub fn inter_eye_distance(&self) -> f32 {
        self.left_eye().distance(self.right_eye())
    }
}
