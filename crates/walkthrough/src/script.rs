//! The choreography: when each group arrives, how each person walks, and
//! what the scene does to them, frame by frame. Pure arithmetic on a seed.
//!
//! The camera looks down a walkway. A person enters far away (the face
//! small, high in the frame, near the vanishing point) and walks towards
//! the camera; the distance falls steadily, so the face grows as 1/distance
//! and moves down and out towards the frame's edge.

use crate::head::Pose;
use crate::rng::Rng;
use crate::truth::{Effect, Role};

/// Group sizes 1-4 and how often each occurs.
const GROUP_SIZES: [(u32, f64); 4] = [(1, 0.60), (2, 0.25), (3, 0.10), (4, 0.05)];
/// Seconds to cross the zone, uniform between these.
const DURATION: (f64, f64) = (2.6, 4.0);
/// Frontal pixels between the eyes on entering and on leaving.
const IOD_FROM: (f64, f64) = (12.0, 17.0);
const IOD_TO: (f64, f64) = (60.0, 80.0);

/// Everything about one pass that does not change from frame to frame.
#[derive(Debug, Clone)]
pub struct Plan {
    pub id: u32,
    pub role: Role,
    /// Index into the cast list of the pass's role.
    pub walker: usize,
    pub group: u32,
    pub start: f64,
    pub duration: f64,
    pub iod_from: f64,
    pub iod_to: f64,
    /// Lateral position (-1 left edge .. 1 right edge at the nearest point) and its drift.
    pub lane: f64,
    pub drift: f64,
    pub gain: f32,
    pub tint: [f32; 3],
    pub focus_blur: f32,
    pub exposure: f32,
    pub yaw: f64,
    pub roll: f64,
    pub step_hz: f64,
    pub phase: f64,
    /// Head turn: centre and half-width as fractions of the pass, peak yaw (degrees).
    pub turn: Option<(f64, f64, f64)>,
    /// Occlusion of the lower face: start and end as fractions of the pass.
    pub occlusion: Option<(f64, f64)>,
    pub clothes: [u8; 3],
    pub occluder: [u8; 3],
}

/// The state of a pass in one frame.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    pub pose: Pose,
    /// Movement of the head during the exposure, in frame pixels.
    pub motion: (f32, f32),
    pub occluded: bool,
}

impl Plan {
    /// Leaves out what a diagnostic build asks (`--without`), in the plan
    /// itself, so that the truth's conditions say what was applied. Sensor
    /// noise is the scene's, left out when the frame is finished.
    pub fn leave_out(&mut self, without: &std::collections::BTreeSet<Effect>) {
        for e in without {
            match e {
                Effect::Defocus => self.focus_blur = 0.0,
                // No time open, no movement during it.
                Effect::MotionBlur => self.exposure = 0.0,
                Effect::Lighting => (self.gain, self.tint) = (1.0, [1.0; 3]),
                Effect::Pose => (self.yaw, self.roll, self.turn) = (0.0, 0.0, None),
                Effect::Noise => {}
            }
        }
    }

    pub fn first_frame(&self, fps: f64) -> u32 {
        (self.start * fps).ceil() as u32
    }

    pub fn last_frame(&self, fps: f64) -> u32 {
        ((self.start + self.duration) * fps).floor() as u32
    }

    fn iod(&self, u: f64) -> f64 {
        1.0 / ((1.0 - u) / self.iod_from + u / self.iod_to)
    }

    fn turn_yaw(&self, u: f64) -> f64 {
        match self.turn {
            Some((c, half, peak)) if (u - c).abs() < half => {
                let x = (u - c) / half * std::f64::consts::FRAC_PI_2;
                peak * x.cos().powi(2)
            }
            _ => 0.0,
        }
    }

    fn pose_at(&self, t: f64, width: f64, height: f64) -> Pose {
        let u = ((t - self.start) / self.duration).clamp(0.0, 1.0);
        let iod = self.iod(u);
        let depth = iod / 80.0;
        let bob = (std::f64::consts::TAU * (self.step_hz * t + self.phase)).sin();
        let x = width / 2.0 + (self.lane + self.drift * u) * width * 0.32 * depth;
        let y = height * (0.20 + 0.36 * depth) + 0.06 * iod * bob;
        Pose {
            x: x as f32,
            y: y as f32,
            iod: iod as f32,
            yaw: (self.yaw + self.turn_yaw(u)).to_radians() as f32,
            roll: (self.roll + 2.0 * bob).to_radians() as f32,
        }
    }

    /// The pass in the frame shown at time `t`.
    pub fn moment(&self, t: f64, width: f64, height: f64) -> Moment {
        let pose = self.pose_at(t, width, height);
        let dt = self.exposure as f64 / 1000.0;
        let later = self.pose_at(t + dt, width, height);
        let u = (t - self.start) / self.duration;
        Moment {
            pose,
            motion: (later.x - pose.x, later.y - pose.y),
            occluded: self.occlusion.is_some_and(|(a, b)| u >= a && u <= b),
        }
    }

    /// Frame range of the head turn and its peak, for the truth file.
    pub fn turn_frames(&self, fps: f64) -> Option<(u32, u32, f32)> {
        self.turn.map(|(c, half, peak)| {
            let at = |f: f64| ((self.start + f * self.duration) * fps).round().max(0.0) as u32;
            (at(c - half), at(c + half), peak as f32)
        })
    }

    pub fn occlusion_frames(&self, fps: f64) -> Option<(u32, u32)> {
        self.occlusion.map(|(a, b)| {
            let at = |f: f64| ((self.start + f * self.duration) * fps).round() as u32;
            (at(a), at(b))
        })
    }
}

fn colour(rng: &mut Rng, lo: f64, hi: f64) -> [u8; 3] {
    [0; 3].map(|_| rng.range(lo, hi) as u8)
}

/// Plans `passes` passes arriving in groups so that on average `density`
/// people are in view; `blue` of them (chosen at random) are Blue Watchlist
/// volunteers. Walkers are numbered within their role in order of arrival.
pub fn plan(seed: u64, passes: u32, blue: u32, density: f64) -> Vec<Plan> {
    let root = Rng::new(seed);
    let mut arrivals = root.fork(10);
    let mean_group: f64 = GROUP_SIZES.iter().map(|(s, p)| *s as f64 * p).sum();
    let mean_duration = (DURATION.0 + DURATION.1) / 2.0;
    let groups_per_second = density.max(0.05) / (mean_group * mean_duration);

    let mut roles = vec![Role::Public; passes as usize];
    let mut order: Vec<usize> = (0..passes as usize).collect();
    root.fork(11).shuffle(&mut order);
    for &i in order.iter().take(blue as usize) {
        roles[i] = Role::Blue;
    }

    let mut plans = Vec::with_capacity(passes as usize);
    let (mut t, mut group, mut next_blue, mut next_public) = (0.3, 0u32, 0usize, 0usize);
    while plans.len() < passes as usize {
        let mut size = GROUP_SIZES[GROUP_SIZES.len() - 1].0;
        let mut x = arrivals.unit();
        for (s, p) in GROUP_SIZES {
            if x < p {
                size = s;
                break;
            }
            x -= p;
        }
        let duration = arrivals.range(DURATION.0, DURATION.1);
        let lane = arrivals.range(-0.75, 0.75);
        for k in 0..size.min(passes - plans.len() as u32) {
            let id = plans.len() as u32;
            let role = roles[id as usize];
            let walker = match role {
                Role::Blue => {
                    next_blue += 1;
                    next_blue - 1
                }
                Role::Public => {
                    next_public += 1;
                    next_public - 1
                }
            };
            let mut r = root.fork(1000 + id as u64);
            let side = if k % 2 == 0 { 1.0 } else { -1.0 };
            let offset = side * k.div_ceil(2) as f64 * r.range(0.3, 0.5);
            let turn = r.chance(0.45).then(|| {
                let sign = if r.chance(0.5) { 1.0 } else { -1.0 };
                (
                    r.range(0.15, 0.85),
                    r.range(0.1, 0.25),
                    sign * r.range(25.0, 65.0),
                )
            });
            let occlusion = r.chance(0.15).then(|| {
                let a = r.range(0.0, 0.7);
                (a, (a + r.range(0.2, 0.6)).min(1.0))
            });
            plans.push(Plan {
                id,
                role,
                walker,
                group,
                start: t + if k == 0 {
                    0.0
                } else {
                    r.range(-0.4, 0.4).max(-t)
                },
                duration: duration * r.range(0.95, 1.05),
                iod_from: r.range(IOD_FROM.0, IOD_FROM.1),
                iod_to: r.range(IOD_TO.0, IOD_TO.1),
                lane: (lane + offset).clamp(-0.95, 0.95),
                drift: r.range(-0.25, 0.25),
                gain: r.range(0.65, 1.25) as f32,
                tint: [0; 3].map(|_| r.range(0.93, 1.07) as f32),
                focus_blur: if r.chance(0.6) {
                    r.range(0.0, 0.6)
                } else {
                    r.range(0.6, 1.8)
                } as f32,
                exposure: r.range(8.0, 40.0) as f32,
                yaw: 7.0 * r.normal(),
                roll: 4.0 * r.normal(),
                step_hz: r.range(1.6, 2.1),
                phase: r.unit(),
                turn,
                occlusion,
                clothes: colour(&mut r, 20.0, 200.0),
                occluder: colour(&mut r, 30.0, 220.0),
            });
        }
        group += 1;
        t += arrivals.exponential(1.0 / groups_per_second);
    }
    plans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_grow_as_they_approach_and_roles_are_as_asked() {
        let plans = plan(42, 60, 12, 2.0);
        assert_eq!(plans.len(), 60);
        assert_eq!(plans.iter().filter(|p| p.role == Role::Blue).count(), 12);
        let blue_walkers: Vec<usize> = plans
            .iter()
            .filter(|p| p.role == Role::Blue)
            .map(|p| p.walker)
            .collect();
        assert_eq!(blue_walkers, (0..12).collect::<Vec<_>>());
        assert!(plans.iter().any(|p| p.group == plans[0].group + 5));
        for p in &plans {
            let a = p.moment(p.start, 1280.0, 720.0).pose;
            let b = p.moment(p.start + p.duration, 1280.0, 720.0).pose;
            assert!(a.iod < 20.0 && b.iod >= 60.0 && b.iod <= 80.0);
            assert!(b.y > a.y, "moves down the frame as it approaches");
        }
        let again = plan(42, 60, 12, 2.0);
        assert_eq!(again[17].lane, plans[17].lane);
        assert_ne!(plan(43, 60, 12, 2.0)[17].lane, plans[17].lane);
        // Left out for a diagnosis, an effect goes from the plan and from
        // nothing else.
        let full = &plans[0];
        let t = full.start + full.duration * 0.9;
        let mut bare = full.clone();
        bare.leave_out(&[Effect::MotionBlur, Effect::Pose].into());
        let (a, b) = (full.moment(t, 1280.0, 720.0), bare.moment(t, 1280.0, 720.0));
        assert_ne!(a.motion, (0.0, 0.0));
        assert_eq!(b.motion, (0.0, 0.0));
        assert_eq!(
            (b.pose.x, b.pose.y, b.pose.iod),
            (a.pose.x, a.pose.y, a.pose.iod)
        );
        assert_eq!(b.pose.yaw, 0.0);
        assert!(
            b.pose.roll.to_degrees().abs() <= 2.0,
            "only the walk's sway"
        );
        assert_eq!(
            (bare.gain, bare.focus_blur, bare.turn),
            (full.gain, full.focus_blur, None)
        );
        bare.leave_out(&[Effect::Lighting, Effect::Defocus, Effect::Noise].into());
        assert_eq!(
            (bare.gain, bare.tint, bare.focus_blur),
            (1.0, [1.0; 3], 0.0)
        );
        // A denser crowd arrives faster.
        let span = |ps: &[Plan]| ps.last().unwrap().start;
        assert!(span(&plan(42, 60, 12, 4.0)) < span(&plans));
    }
}
