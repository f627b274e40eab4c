//! Similarity transforms (rotation, uniform scale, translation) and their
//! least-squares fit from point pairs.
//!
//! The fit is Umeyama's (1991, eqs. 34-43), as dlib's `find_similarity_transform`
//! uses it. In 2-D the optimal rotation has a closed form, so no SVD is needed:
//! with `C` the cross-covariance of the centred point sets, the best proper
//! rotation angle is `atan2(C10 - C01, C00 + C11)` and the trace term of
//! Umeyama's scale is `hypot(C00 + C11, C10 - C01)`. dlib's SVD route
//! (including its reflection fix when `det(C) < 0`) gives the same transform.

use super::AlignError;

/// `x' = a*x - b*y + tx`, `y' = b*x + a*y + ty`, with `a = s*cos(θ)`, `b = s*sin(θ)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    pub a: f64,
    pub b: f64,
    pub tx: f64,
    pub ty: f64,
}

impl Similarity {
    pub const IDENTITY: Similarity = Similarity {
        a: 1.0,
        b: 0.0,
        tx: 0.0,
        ty: 0.0,
    };

    /// A transform from its parts: scale, rotation (radians) and translation.
    pub fn new(scale: f64, angle: f64, tx: f64, ty: f64) -> Self {
        Self {
            a: scale * angle.cos(),
            b: scale * angle.sin(),
            tx,
            ty,
        }
    }

    pub fn apply(&self, p: [f64; 2]) -> [f64; 2] {
        [
            self.a * p[0] - self.b * p[1] + self.tx,
            self.b * p[0] + self.a * p[1] + self.ty,
        ]
    }

    pub fn scale(&self) -> f64 {
        self.a.hypot(self.b)
    }

    /// Rotation in radians, counter-clockwise in a y-up frame (clockwise on screen).
    pub fn angle(&self) -> f64 {
        self.b.atan2(self.a)
    }

    /// The inverse transform, or `None` when the scale is zero.
    pub fn inverse(&self) -> Option<Similarity> {
        let d = self.a * self.a + self.b * self.b;
        if !d.is_finite() || d <= 0.0 {
            return None;
        }
        let (a, b) = (self.a / d, -self.b / d);
        Some(Similarity {
            a,
            b,
            tx: -(a * self.tx - b * self.ty),
            ty: -(b * self.tx + a * self.ty),
        })
    }

    /// `self` after `first`: maps p to `self.apply(first.apply(p))`.
    pub fn after(&self, first: &Similarity) -> Similarity {
        Similarity {
            a: self.a * first.a - self.b * first.b,
            b: self.b * first.a + self.a * first.b,
            tx: self.a * first.tx - self.b * first.ty + self.tx,
            ty: self.b * first.tx + self.a * first.ty + self.ty,
        }
    }

    /// Least-squares similarity taking each `from[i]` to `to[i]`.
    ///
    /// Errors when the sets differ in length, hold fewer than two pairs, hold a
    /// non-finite value, or are degenerate (all `from` points coincide, or the
    /// best scale is zero), since no meaningful transform exists then.
    pub fn fit(from: &[[f64; 2]], to: &[[f64; 2]]) -> Result<Similarity, AlignError> {
        if from.len() != to.len() {
            return Err(AlignError::Degenerate(format!(
                "{} source points but {} target points",
                from.len(),
                to.len()
            )));
        }
        if from.len() < 2 {
            return Err(AlignError::Degenerate(format!(
                "a similarity needs at least 2 point pairs, got {}",
                from.len()
            )));
        }
        if from.iter().chain(to).flatten().any(|v| !v.is_finite()) {
            return Err(AlignError::Degenerate(
                "a point coordinate is not finite".into(),
            ));
        }
        let fit = Umeyama::new(from, to);
        if !fit.sigma_from.is_finite() || fit.sigma_from <= 0.0 {
            return Err(AlignError::Degenerate(
                "the source points coincide or are out of range".into(),
            ));
        }
        if !fit.norm.is_finite() || fit.norm <= 0.0 {
            return Err(AlignError::Degenerate(
                "the points give no rotation or scale (targets coincide)".into(),
            ));
        }
        Ok(fit.transform())
    }

    /// The fit exactly as dlib computes it even for degenerate input: scale 1
    /// when the source points coincide, identity rotation when the covariance
    /// vanishes. The shape predictor needs this, since dlib never fails there.
    pub(crate) fn fit_like_dlib(from: &[[f64; 2]], to: &[[f64; 2]]) -> Similarity {
        Umeyama::new(from, to).transform()
    }
}

/// The sufficient statistics of Umeyama's fit.
struct Umeyama {
    mean_from: [f64; 2],
    mean_to: [f64; 2],
    sigma_from: f64,
    /// `C00 + C11` and `C10 - C01`, both already divided by n.
    cos_term: f64,
    sin_term: f64,
    norm: f64,
}

impl Umeyama {
    fn new(from: &[[f64; 2]], to: &[[f64; 2]]) -> Self {
        let n = from.len().max(1) as f64;
        let mut mf = [0.0; 2];
        let mut mt = [0.0; 2];
        for (f, t) in from.iter().zip(to) {
            mf = [mf[0] + f[0], mf[1] + f[1]];
            mt = [mt[0] + t[0], mt[1] + t[1]];
        }
        mf = [mf[0] / n, mf[1] / n];
        mt = [mt[0] / n, mt[1] / n];
        let (mut sigma, mut c00, mut c01, mut c10, mut c11) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (f, t) in from.iter().zip(to) {
            let (fx, fy) = (f[0] - mf[0], f[1] - mf[1]);
            let (tx, ty) = (t[0] - mt[0], t[1] - mt[1]);
            sigma += fx * fx + fy * fy;
            c00 += tx * fx;
            c01 += tx * fy;
            c10 += ty * fx;
            c11 += ty * fy;
        }
        let cos_term = (c00 + c11) / n;
        let sin_term = (c10 - c01) / n;
        Self {
            mean_from: mf,
            mean_to: mt,
            sigma_from: sigma / n,
            cos_term,
            sin_term,
            norm: cos_term.hypot(sin_term),
        }
    }

    fn transform(&self) -> Similarity {
        let (cos, sin) = if self.norm > 0.0 {
            (self.cos_term / self.norm, self.sin_term / self.norm)
        } else {
            (1.0, 0.0)
        };
        let c = if self.sigma_from != 0.0 {
            self.norm / self.sigma_from
        } else {
            1.0
        };
        let (a, b) = (c * cos, c * sin);
        let [mx, my] = self.mean_from;
        Similarity {
            a,
            b,
            tx: self.mean_to[0] - (a * mx - b * my),
            ty: self.mean_to[1] - (b * mx + a * my),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composition_and_inverse_round_trip() {
        let s = Similarity::new(1.7, 0.4, 3.0, -2.0);
        let t = Similarity::new(0.5, -1.1, -7.0, 1.0);
        let p = [12.5, -3.25];
        let q = s.after(&t).apply(p);
        let r = s.apply(t.apply(p));
        assert!((q[0] - r[0]).abs() < 1e-12 && (q[1] - r[1]).abs() < 1e-12);
        let back = s.inverse().unwrap().apply(s.apply(p));
        assert!((back[0] - p[0]).abs() < 1e-12 && (back[1] - p[1]).abs() < 1e-12);
        assert!(Similarity::new(0.0, 0.3, 1.0, 1.0).inverse().is_none());
    }

    #[test]
    fn mirrored_input_gets_the_rotation_dlibs_svd_route_gives() {
        // Mirrored sets make det(C) < 0, where dlib flips the smaller singular
        // value. Expected values are from that SVD route (computed with numpy).
        let from = [[0.0, 0.0], [2.0, 0.0], [0.0, 1.0]];
        let to = [[0.0, 0.0], [2.0, 0.0], [0.0, -1.0]];
        let s = Similarity::fit(&from, &to).unwrap();
        let want = [0.6, 0.4, 0.4, -0.8];
        for (g, w) in [s.a, s.b, s.tx, s.ty].iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{s:?}");
        }
        let from = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [3.0, 5.0]];
        let to = [[0.0, 0.0], [1.0, 0.0], [0.0, -1.0], [3.0, -5.0]];
        let s = Similarity::fit(&from, &to).unwrap();
        let want = [-0.47826087, -0.7826087, 0.30434783, 0.0];
        for (g, w) in [s.a, s.b, s.tx, s.ty].iter().zip(want) {
            assert!((g - w).abs() < 1e-7, "{s:?}");
        }
    }
}
