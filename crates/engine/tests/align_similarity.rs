//! The least-squares similarity fit: exact recovery, least-squares behaviour
//! and clear errors for input no transform can fit.

use lfr_engine::align::{AlignError, Similarity};

fn close(a: [f64; 2], b: [f64; 2], tol: f64) -> bool {
    (a[0] - b[0]).abs() < tol && (a[1] - b[1]).abs() < tol
}

#[test]
fn recovers_a_known_transform_exactly() {
    let truth = Similarity::new(2.37, -0.61, 412.5, -88.25);
    let from = [
        [46.5, 45.4],
        [102.2, 45.9],
        [74.3, 78.4],
        [49.8, 103.3],
        [98.2, 103.8],
    ];
    let to = from.map(|p| truth.apply(p));
    let s = Similarity::fit(&from, &to).unwrap();
    assert!((s.scale() - 2.37).abs() < 1e-12, "{s:?}");
    assert!((s.angle() + 0.61).abs() < 1e-12, "{s:?}");
    assert!(
        (s.tx - 412.5).abs() < 1e-9 && (s.ty + 88.25).abs() < 1e-9,
        "{s:?}"
    );
    // Two points are enough.
    let s2 = Similarity::fit(&from[..2], &to[..2]).unwrap();
    assert!(close(
        s2.apply([10.0, 20.0]),
        truth.apply([10.0, 20.0]),
        1e-9
    ));
    // The inverse fit is the inverse transform.
    let back = Similarity::fit(&to, &from).unwrap();
    let id = back.after(&s);
    assert!(close(id.apply([3.0, -4.0]), [3.0, -4.0], 1e-9), "{id:?}");
}

#[test]
fn noisy_points_give_the_least_squares_fit() {
    // Symmetric noise around an exact similarity: the fit stays on the truth
    // and any other transform has a larger squared error.
    let truth = Similarity::new(0.8, 0.3, 10.0, 5.0);
    let from = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];
    let noise = [[0.5, 0.0], [-0.5, 0.0], [0.5, 0.0], [-0.5, 0.0]];
    let to: Vec<[f64; 2]> = from
        .iter()
        .zip(noise)
        .map(|(p, n)| {
            let q = truth.apply(*p);
            [q[0] + n[0], q[1] + n[1]]
        })
        .collect();
    let s = Similarity::fit(&from, &to).unwrap();
    let err = |t: &Similarity| -> f64 {
        from.iter()
            .zip(&to)
            .map(|(p, q)| {
                let r = t.apply(*p);
                (r[0] - q[0]).powi(2) + (r[1] - q[1]).powi(2)
            })
            .sum()
    };
    let best = err(&s);
    for (da, db, dx) in [
        (1e-3, 0.0, 0.0),
        (0.0, 1e-3, 0.0),
        (0.0, 0.0, 1e-2),
        (-1e-3, 1e-3, 0.0),
    ] {
        let other = Similarity {
            a: s.a + da,
            b: s.b + db,
            tx: s.tx + dx,
            ty: s.ty,
        };
        assert!(err(&other) > best, "{other:?} beats {s:?}");
    }
}

#[test]
fn degenerate_input_is_an_error() {
    let p = [[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]];
    type Case = (&'static str, Vec<[f64; 2]>, Vec<[f64; 2]>);
    let cases: Vec<Case> = vec![
        ("one pair", p[..1].to_vec(), p[..1].to_vec()),
        ("no pairs", vec![], vec![]),
        ("length mismatch", p.to_vec(), p[..2].to_vec()),
        ("coincident sources", vec![[2.0, 2.0]; 3], p.to_vec()),
        ("coincident targets", p.to_vec(), vec![[9.0, 9.0]; 3]),
        (
            "NaN",
            vec![[f64::NAN, 0.0], [1.0, 1.0]],
            vec![[0.0, 0.0], [1.0, 1.0]],
        ),
        (
            "infinity",
            vec![[0.0, 0.0], [1.0, 1.0]],
            vec![[0.0, f64::INFINITY], [1.0, 1.0]],
        ),
    ];
    for (what, from, to) in cases {
        match Similarity::fit(&from, &to) {
            Err(AlignError::Degenerate(msg)) => assert!(!msg.is_empty(), "{what}"),
            other => panic!("{what}: expected a degenerate-input error, got {other:?}"),
        }
    }
}
