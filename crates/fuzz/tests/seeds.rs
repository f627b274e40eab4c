//! Replays every seed of every target (seeds/<target>/*): the inputs the
//! fuzzers start from and every input that once crashed one. A reader that
//! panics on any of them fails here, on every test run, without a fuzzer.

use std::path::Path;

#[test]
fn every_seed_of_every_target_is_read_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let mut replayed = 0;
    for (name, target) in lfr_fuzz::TARGETS {
        let dir = root.join(name);
        let seeds: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}; each target keeps its seeds there", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        assert!(
            !seeds.is_empty(),
            "{name} has no seeds in {}",
            dir.display()
        );
        for seed in seeds {
            let data = std::fs::read(&seed).unwrap();
            target(&data);
            replayed += 1;
        }
    }
    assert!(replayed >= lfr_fuzz::TARGETS.len());
}

/// Bytes every reader must refuse calmly: empty, truncated, huge claims.
#[test]
fn hostile_classics_are_refused_without_a_panic() {
    let classics: Vec<Vec<u8>> = vec![
        vec![],
        vec![0],
        vec![0xFF; 64],
        b"P6 16384 16384 255 ".to_vec(),
        b"P6\n0 0\n255\n".to_vec(),
        b"{\"format\":".to_vec(),
        b"\xFF\xD8\xFF\xC0\x00\x11\x08\xFF\xFF\xFF\xFF\x03".to_vec(),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x7f\xff\xff\xff\x7f\xff\xff\xff\x08\x02\x00\x00\x00"
            .to_vec(),
        "ref,name\n\"unterminated".as_bytes().to_vec(),
        "9999999999999999999999:zz:zz".as_bytes().to_vec(),
    ];
    for (_, target) in lfr_fuzz::TARGETS {
        for c in &classics {
            target(c);
        }
    }
}
