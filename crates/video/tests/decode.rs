//! Decoding the shared crowd video, and refusing what is not a video.

use lfr_video::{DecodeOptions, Decoder, probe};

fn crowd() -> String {
    let p = std::env::var("LFR_SHARED")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared").to_string())
        + "/data/video/arcade-crowd-1080p.mp4";
    assert!(
        std::path::Path::new(&p).exists(),
        "shared test video {p} is missing: these tests need the read-only `shared/` folder beside the repository (or set LFR_SHARED)"
    );
    p
}

#[test]
fn probes_and_decodes_every_frame_of_the_crowd_video() {
    let input = crowd();
    let info = probe(&input).unwrap();
    assert_eq!((info.width, info.height), (1920, 1080));
    assert!((info.fps.unwrap() - 25.0).abs() < 0.01);
    let mut d = Decoder::open(&input, &DecodeOptions::default()).unwrap();
    let mut n = 0;
    let mut last_mean = 0u64;
    for f in &mut d {
        let f = f.unwrap();
        assert_eq!(f.dimensions(), (1920, 1080));
        last_mean = f.as_raw().iter().map(|&b| b as u64).sum::<u64>() / f.as_raw().len() as u64;
        n += 1;
    }
    assert_eq!(n, info.frames.unwrap_or(105));
    assert!(
        last_mean > 10 && last_mean < 245,
        "frames have real content"
    );
}

#[test]
fn scales_on_request() {
    let mut d = Decoder::open(
        &crowd(),
        &DecodeOptions {
            width: Some(960),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(d.next_frame().unwrap().unwrap().dimensions(), (960, 540));
}

#[test]
fn drops_frames_to_a_lower_rate_on_request() {
    let info = lfr_video::probe(&crowd()).unwrap();
    let native = info.fps.expect("the crowd video states its rate");
    let all = info.frames.expect("the crowd video states its frame count") as f64;
    let n = Decoder::open(
        &crowd(),
        &DecodeOptions {
            fps: Some(10.0),
            ..Default::default()
        },
    )
    .unwrap()
    .count() as f64;
    let expected = all * 10.0 / native;
    assert!(
        (n - expected).abs() <= 2.0,
        "{n} frames at 10 fps, expected about {expected}"
    );
}

#[test]
fn garbage_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("lfr-video-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("garbage.mp4");
    std::fs::write(&bad, b"this is not a video at all").unwrap();
    let e = Decoder::open(bad.to_str().unwrap(), &DecodeOptions::default())
        .err()
        .expect("garbage must not open");
    assert!(e.to_string().contains("cannot open video"), "{e}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_camera_that_refuses_says_so_without_its_password() {
    use lfr_video::{Stream, StreamOptions};
    // Nothing listens on port 9 of the loopback: FFmpeg fails to connect,
    // and its message names the URL it was given.
    let url = "rtsp://cam:s3cret-pw@127.0.0.1:9/stream";
    let mut s = Stream::open(url, &StreamOptions::default()).unwrap();
    let e = s.next_frame().expect_err("nothing to connect to");
    let shown = e.to_string();
    assert!(!shown.contains("s3cret-pw"), "{shown}");
    assert!(shown.contains("127.0.0.1:9"), "{shown}");
    assert!(!s.input().contains("s3cret-pw"));
    // ffprobe's refusal too.
    let e = probe(url).expect_err("nothing to probe");
    assert!(!e.to_string().contains("s3cret-pw"), "{e}");
}

/// Decoding on an NVIDIA GPU (`-hwaccel cuda`): where there is none, the
/// stream fails and says why, rather than decoding on the CPU unnoticed;
/// where there is one, frames arrive as from the CPU.
#[test]
fn hardware_decoding_works_or_says_why_not() {
    let opts = lfr_video::StreamOptions {
        hwaccel: Some(lfr_video::HwAccel::Cuda),
        ..Default::default()
    };
    let mut s = lfr_video::Stream::open(&crowd(), &opts).unwrap();
    let first = s.next_frame();
    let gpu = std::path::Path::new("/dev/nvidiactl").exists();
    match first {
        Ok(f) => {
            assert!(
                gpu,
                "FFmpeg decoded on CUDA without an NVIDIA device: -hwaccel was not asked for"
            );
            assert_eq!(f.expect("a frame").image.dimensions(), (1920, 1080));
        }
        // On a GPU machine without NVIDIA's video libraries, FFmpeg names
        // what it could not load (libcuda, libnvcuvid).
        Err(e) => {
            let e = e.to_string().to_lowercase();
            assert!(e.contains("cuda") || e.contains("cuvid"), "{e}");
        }
    }
}
