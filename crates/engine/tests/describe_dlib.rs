//! The dlib ResNet, loaded from dlib's file and run on ONNX Runtime, must give
//! dlib's own descriptors for dlib's own chips.

mod support;

use lfr_engine::describe::Describer;
use lfr_engine::describe::dlib_resnet::DlibResnet;
use support::*;

fn describer() -> Describer {
    let dat = model_bytes(lfr_models::files::DLIB_RESNET);
    Describer::dlib_resnet(&backend(), &dat).unwrap()
}

#[test]
fn descriptors_from_dlib_chips_match_dlib_within_0_01() {
    let mut d = describer();
    assert_eq!(d.dims(), 128);
    let refs = dlib_reference();
    assert!(refs.len() >= 20);
    let chips: Vec<_> = refs.iter().map(|f| load_rgb(&f.chip)).collect();
    let chip_refs: Vec<_> = chips.iter().collect();
    let got = d.describe(&chip_refs).unwrap();
    let mut worst = 0f32;
    for (f, g) in refs.iter().zip(&got) {
        let dist = euclidean(g, &f.descriptor);
        worst = worst.max(dist);
        assert!(
            dist < 0.01,
            "{}: distance {dist} from dlib's descriptor",
            f.chip.display()
        );
    }
    eprintln!("worst distance to dlib's descriptors: {worst:.5}");
}

#[test]
fn batch_and_single_chip_give_the_same_descriptor() {
    let mut d = describer();
    let refs = dlib_reference();
    let a = load_rgb(&refs[0].chip);
    let b = load_rgb(&refs[1].chip);
    let both = d.describe(&[&a, &b]).unwrap();
    let one = d.describe(&[&b]).unwrap();
    assert!(euclidean(&both[1], &one[0]) < 1e-4);
}

#[test]
fn wrong_chip_size_is_an_error() {
    let mut d = describer();
    let small = image::RgbImage::new(100, 100);
    let e = d.describe(&[&small]).unwrap_err();
    assert!(e.to_string().contains("150x150"), "{e}");
}

#[test]
fn truncated_or_corrupt_model_is_an_error_not_a_panic() {
    let dat = model_bytes(lfr_models::files::DLIB_RESNET);
    for cut in [0, 1, 10, 300, 5000, dat.len() / 2, dat.len() - 1] {
        let e = DlibResnet::parse("m.dat", &dat[..cut]).unwrap_err();
        assert!(e.to_string().contains("m.dat"), "{e}");
    }
    // Flip bytes through the header, where every byte is structure.
    for i in (0..400).step_by(7) {
        let mut bad = dat.clone();
        bad[i] ^= 0x5a;
        let _ = DlibResnet::parse("m.dat", &bad); // must not panic
    }
    let mut extra = dat.clone();
    extra.push(0);
    assert!(DlibResnet::parse("m.dat", &extra).is_err());
    assert!(DlibResnet::parse("m.dat", &model_bytes(lfr_models::files::DLIB_SHAPE5)).is_err());
}
