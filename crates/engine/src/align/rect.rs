//! dlib's two rectangle types, with dlib's conventions kept exactly: both are
//! inclusive of their right and bottom edges (width = right - left + 1), and
//! a real-valued rectangle rounds to an integer one with `floor(x + 0.5)`.
//! Chip placement depends on these off-by-one conventions, so they are not
//! "simplified" here.

/// An integer rectangle with inclusive edges, like `dlib::rectangle`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IRect {
    pub left: i64,
    pub top: i64,
    pub right: i64,
    pub bottom: i64,
}

impl IRect {
    pub const fn new(left: i64, top: i64, right: i64, bottom: i64) -> Self {
        Self {
            left,
            top,
            right,
            bottom,
        }
    }

    /// The rectangle covering a whole `width` x `height` image.
    pub fn of_image(width: u32, height: u32) -> Self {
        Self::new(0, 0, width as i64 - 1, height as i64 - 1)
    }

    pub fn is_empty(&self) -> bool {
        self.top > self.bottom || self.left > self.right
    }

    pub fn width(&self) -> i64 {
        if self.is_empty() {
            0
        } else {
            self.right - self.left + 1
        }
    }

    pub fn height(&self) -> i64 {
        if self.is_empty() {
            0
        } else {
            self.bottom - self.top + 1
        }
    }

    pub fn intersect(&self, o: &IRect) -> IRect {
        IRect::new(
            self.left.max(o.left),
            self.top.max(o.top),
            self.right.min(o.right),
            self.bottom.min(o.bottom),
        )
    }

    pub fn contains(&self, x: i64, y: i64) -> bool {
        x >= self.left && x <= self.right && y >= self.top && y <= self.bottom
    }
}

/// A real-valued rectangle with inclusive edges, like `dlib::drectangle`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DRect {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl DRect {
    pub const fn new(left: f64, top: f64, right: f64, bottom: f64) -> Self {
        Self {
            left,
            top,
            right,
            bottom,
        }
    }

    /// The empty rectangle dlib starts a bounding-box accumulation from.
    pub const EMPTY: DRect = DRect::new(0.0, 0.0, -1.0, -1.0);

    /// The smallest rectangle holding both points (dlib's two-point constructor).
    pub fn from_points(a: [f64; 2], b: [f64; 2]) -> Self {
        DRect::new(
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[0].max(b[0]),
            a[1].max(b[1]),
        )
    }

    /// `centered_drect`: a `width` x `height` rectangle centred on `p`.
    pub fn centered(p: [f64; 2], width: f64, height: f64) -> Self {
        let (w, h) = (width - 1.0, height - 1.0);
        DRect::new(
            p[0] - w / 2.0,
            p[1] - h / 2.0,
            p[0] + w / 2.0,
            p[1] + h / 2.0,
        )
    }

    pub fn is_empty(&self) -> bool {
        self.top > self.bottom || self.left > self.right
    }

    pub fn width(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.right - self.left + 1.0
        }
    }

    pub fn height(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.bottom - self.top + 1.0
        }
    }

    pub fn area(&self) -> f64 {
        self.width() * self.height()
    }

    pub fn center(&self) -> [f64; 2] {
        [
            (self.left + self.right) / 2.0,
            (self.top + self.bottom) / 2.0,
        ]
    }

    pub fn tl(&self) -> [f64; 2] {
        [self.left, self.top]
    }
    pub fn tr(&self) -> [f64; 2] {
        [self.right, self.top]
    }
    pub fn bl(&self) -> [f64; 2] {
        [self.left, self.bottom]
    }
    pub fn br(&self) -> [f64; 2] {
        [self.right, self.bottom]
    }

    /// Grows the rectangle to include `p` (dlib's `rect += point`).
    pub fn include(&mut self, p: [f64; 2]) {
        if self.is_empty() {
            *self = DRect::new(p[0], p[1], p[0], p[1]);
        } else {
            *self = DRect::new(
                self.left.min(p[0]),
                self.top.min(p[1]),
                self.right.max(p[0]),
                self.bottom.max(p[1]),
            );
        }
    }

    pub fn grow(&self, n: f64) -> DRect {
        DRect::new(self.left - n, self.top - n, self.right + n, self.bottom + n)
    }

    pub fn intersect(&self, o: &DRect) -> DRect {
        DRect::new(
            self.left.max(o.left),
            self.top.max(o.top),
            self.right.min(o.right),
            self.bottom.min(o.bottom),
        )
    }

    pub fn translate(&self, dx: f64, dy: f64) -> DRect {
        DRect::new(
            self.left + dx,
            self.top + dy,
            self.right + dx,
            self.bottom + dy,
        )
    }

    /// dlib's `drectangle -> rectangle` conversion: each edge rounded half up.
    /// Callers keep coordinates finite and within i64 range.
    pub fn round(&self) -> IRect {
        let r = |v: f64| (v + 0.5).floor() as i64;
        IRect::new(r(self.left), r(self.top), r(self.right), r(self.bottom))
    }
}

impl From<IRect> for DRect {
    fn from(r: IRect) -> Self {
        DRect::new(r.left as f64, r.top as f64, r.right as f64, r.bottom as f64)
    }
}

/// `rotate_point`: `p` turned by `angle` radians about `center` (counter-clockwise
/// in a y-up frame, so clockwise on screen).
pub fn rotate_point(center: [f64; 2], p: [f64; 2], angle: f64) -> [f64; 2] {
    let (s, c) = (angle.sin(), angle.cos());
    let (dx, dy) = (p[0] - center[0], p[1] - center[1]);
    [c * dx - s * dy + center[0], s * dx + c * dy + center[1]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_include_both_edges_like_dlib() {
        assert_eq!(IRect::new(0, 0, 9, 4).width(), 10);
        assert_eq!(IRect::new(0, 0, 9, 4).height(), 5);
        assert_eq!(DRect::new(0.5, 0.0, 2.5, 0.0).width(), 3.0);
        assert_eq!(DRect::EMPTY.area(), 0.0);
        let c = DRect::centered([10.0, 20.0], 5.0, 3.0);
        assert_eq!(c, DRect::new(8.0, 19.0, 12.0, 21.0));
        assert_eq!(c.width(), 5.0);
    }

    #[test]
    fn rounding_is_half_up() {
        let r = DRect::new(-0.5, 1.5, 2.49, -1.51).round();
        assert_eq!(r, IRect::new(0, 2, 2, -2));
    }

    #[test]
    fn include_starts_from_empty() {
        let mut r = DRect::EMPTY;
        r.include([3.0, 4.0]);
        r.include([-1.0, 6.0]);
        assert_eq!(r, DRect::new(-1.0, 4.0, 3.0, 6.0));
    }
}
