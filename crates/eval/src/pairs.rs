//! All-pairs distances within a described face set, split into genuine
//! pairs (same person) and impostor pairs (different people).

use lfr_engine::template::euclidean;

/// A face set ready for pairing: each item is (person index, descriptor).
/// `groups`, if given, maps each person index to a group: two names of one
/// person share a group, and their pairs are neither genuine nor impostor.
pub struct Labelled<'a> {
    pub items: Vec<(usize, &'a [f32])>,
    pub groups: Option<Vec<usize>>,
}

impl Labelled<'_> {
    /// Whether people `a` and `b` are different people (and not two names of one).
    pub fn different(&self, a: usize, b: usize) -> bool {
        match &self.groups {
            Some(g) => g[a] != g[b],
            None => a != b,
        }
    }
}

/// Distances of every pair of images of the same person, with the person.
pub fn genuine(set: &Labelled) -> Vec<(usize, f32)> {
    let mut out = Vec::new();
    for (i, (pa, a)) in set.items.iter().enumerate() {
        for (pb, b) in &set.items[i + 1..] {
            if pa == pb {
                out.push((*pa, euclidean(a, b)));
            }
        }
    }
    out
}

/// Runs `row(i, &mut part)` for every row `i < n` on `threads` threads and
/// returns each thread's part. Rows are interleaved (thread `t` takes `t`,
/// `t + threads`, ...), so that rows whose cost falls with `i`, as in a
/// triangle of pairs, share out evenly.
pub fn interleaved<P: Send>(
    n: usize,
    threads: usize,
    part: impl Fn() -> P + Sync,
    row: impl Fn(usize, &mut P) + Sync,
) -> Vec<P> {
    let threads = threads.max(1);
    let (part, row) = (&part, &row);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut p = part();
                    for i in (t..n).step_by(threads) {
                        row(i, &mut p);
                    }
                    p
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Distances of every pair of images of different people, computed on
/// `threads` threads. 43.7 million pairs take a few seconds.
pub fn impostor(set: &Labelled, threads: usize) -> Vec<f32> {
    interleaved(set.items.len(), threads, Vec::new, |i, out| {
        let (pa, a) = set.items[i];
        for &(pb, b) in &set.items[i + 1..] {
            if set.different(pa, pb) {
                out.push(euclidean(a, b));
            }
        }
    })
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_pairs_by_person() {
        let v = [[0.0f32, 0.0], [3.0, 4.0], [0.0, 1.0]];
        let set = Labelled {
            items: vec![(0, &v[0][..]), (0, &v[1][..]), (1, &v[2][..])],
            groups: None,
        };
        assert_eq!(genuine(&set), vec![(0, 5.0)]);
        let mut imp = impostor(&set, 2);
        imp.sort_by(f32::total_cmp);
        assert_eq!(imp.len(), 2);
        assert_eq!(imp[0], 1.0);
        // Two names of one person: no impostor pairs, no genuine pairs.
        let merged = Labelled {
            items: set.items.clone(),
            groups: Some(vec![0, 0]),
        };
        assert!(impostor(&merged, 1).is_empty());
        assert_eq!(genuine(&merged).len(), 1);
    }
}
