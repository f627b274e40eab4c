//! Reading JPEG and PNG files into RGB, refusing damaged ones.
//!
//! The JPEG decoder is lenient: a file cut off part-way (an interrupted
//! copy or upload) decodes "successfully", its missing rows filled in grey.
//! A watchlist reference made from such a file would carry a template of
//! half a face, so a JPEG must end its image data with the end-of-image
//! marker. PNG's decoder already refuses a cut-off file.

use image::RgbImage;

/// Decodes a JPEG or PNG file's bytes. The error says what is wrong in words
/// that can follow "cannot read the image: ".
pub fn decode(bytes: &[u8]) -> Result<RgbImage, String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    if let Some(why) = jpeg_cut_off(bytes) {
        return Err(format!(
            "the JPEG file is incomplete ({why}); it was probably cut off while being copied or sent, so send the whole file again"
        ));
    }
    if let Some((w, h)) = dimensions(bytes)
        && u64::from(w) * u64::from(h) > MAX_PIXELS
    {
        return Err(format!(
            "it is {w}x{h} pixels ({:.0} megapixels), more than the {} megapixels lfr reads; send a smaller image (a reference needs only 20-100 px between the eyes)",
            f64::from(w) * f64::from(h) / 1e6,
            MAX_PIXELS / 1_000_000
        ));
    }
    let rgb = match image::load_from_memory(bytes) {
        Ok(img) => img.to_rgb8(),
        Err(image::ImageError::Limits(_)) => return Err(too_large(bytes)),
        Err(e) => return Err(e.to_string()),
    };
    if rgb.width() == 0 || rgb.height() == 0 {
        return Err("the image has no pixels".into());
    }
    Ok(rgb)
}

/// Most pixels an image may have. A few hundred bytes of JPEG can claim
/// 168 megapixels and fill them with grey: the fuzzer found one that took
/// 24 s and 11 GB to grade. Grading a 24-megapixel photograph takes about
/// 1.5 GB; a reference needs far fewer pixels than that.
pub const MAX_PIXELS: u64 = 24_000_000;

/// The dimensions a file's header states, read without decoding it.
fn dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()
}

/// The decoder's memory limit (512 MiB, the `image` crate's default) guards
/// against a small file that claims enormous dimensions; say what it claimed.
fn too_large(bytes: &[u8]) -> String {
    let dims = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()
        .and_then(|r| r.into_dimensions().ok());
    match dims {
        Some((w, h)) => format!(
            "it is {w}x{h} pixels, more than fits in the 512 MiB an image may take; send a smaller image (a reference needs only 20-100 px between the eyes)"
        ),
        None => "it needs more than the 512 MiB an image may take; send a smaller image".into(),
    }
}

/// For a JPEG stream (it starts with the start-of-image marker), why it is
/// incomplete: it ends in its headers, or no end-of-image marker follows
/// the start of its image data. Anything else is left to the decoder.
///
/// The headers are walked segment by segment (each says its length), so a
/// thumbnail inside the Exif segment, with its own end marker, is skipped.
/// In the image data a 0xFF byte is always followed by 0x00 or a restart
/// marker, so 0xFF 0xD9 there is the real end.
fn jpeg_cut_off(b: &[u8]) -> Option<&'static str> {
    const ENDS_IN_HEADERS: &str = "it ends inside its headers";
    if !b.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut i = 2;
    loop {
        if i >= b.len() {
            return Some(ENDS_IN_HEADERS);
        }
        if b[i] != 0xFF {
            // Not a marker where one belongs: damage the decoder will name.
            return None;
        }
        // Any number of 0xFF fill bytes may precede a marker's code.
        let mut j = i + 1;
        while j < b.len() && b[j] == 0xFF {
            j += 1;
        }
        let Some(&code) = b.get(j) else {
            return Some(ENDS_IN_HEADERS);
        };
        match code {
            0xDA => {
                let data = &b[j + 1..];
                let ended = data.windows(2).any(|w| w == [0xFF, 0xD9]);
                return (!ended).then_some("its image data has no end marker");
            }
            0xD9 => return Some("it ends before its image data"),
            // Markers without a length.
            0x01 | 0xD0..=0xD8 => i = j + 1,
            _ => {
                let (Some(&hi), Some(&lo)) = (b.get(j + 1), b.get(j + 2)) else {
                    return Some(ENDS_IN_HEADERS);
                };
                i = j + 1 + u16::from_be_bytes([hi, lo]) as usize;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageEncoder;

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 90]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    #[test]
    fn a_whole_jpeg_reads_and_a_cut_off_one_is_refused() {
        let whole = jpeg(64, 48);
        assert_eq!(decode(&whole).unwrap().dimensions(), (64, 48));
        // Bytes after the end marker (some cameras append data) are harmless.
        let mut trailed = whole.clone();
        trailed.extend_from_slice(b"trailing bytes");
        assert!(decode(&trailed).is_ok());
        // Cut anywhere, in the headers or in the image data: refused.
        for keep in [3, 20, whole.len() / 3, whole.len() / 2, whole.len() - 2] {
            let e = decode(&whole[..keep]).unwrap_err();
            assert!(
                e.contains("incomplete") || e.contains("JPEG"),
                "{keep}: {e}"
            );
        }
        let e = decode(&whole[..whole.len() - 2]).unwrap_err();
        assert!(
            e.contains("no end marker") && e.contains("send the whole file"),
            "{e}"
        );
    }

    #[test]
    fn a_thumbnail_end_marker_in_the_headers_does_not_pass_for_the_image_end() {
        let whole = jpeg(32, 32);
        // An APP1 segment carrying a (fake) thumbnail that ends in FF D9.
        let thumb = [0xFF, 0xD8, 1, 2, 3, 0xFF, 0xD9];
        let mut app1 = vec![0xFF, 0xE1];
        app1.extend_from_slice(&((thumb.len() + 2) as u16).to_be_bytes());
        app1.extend_from_slice(&thumb);
        let mut with_thumb = whole[..2].to_vec();
        with_thumb.extend_from_slice(&app1);
        with_thumb.extend_from_slice(&whole[2..]);
        assert!(decode(&with_thumb).is_ok());
        let cut = &with_thumb[..with_thumb.len() - 2];
        assert!(decode(cut).unwrap_err().contains("no end marker"));
    }

    #[test]
    fn empty_and_unknown_files_are_named_for_what_they_are() {
        assert_eq!(decode(b"").unwrap_err(), "the file is empty");
        assert!(decode(b"this is not an image").is_err());
        // PNG's own decoder refuses a cut-off file.
        let mut png = Vec::new();
        let img = RgbImage::from_pixel(16, 16, image::Rgb([1, 2, 3]));
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(img.as_raw(), 16, 16, image::ExtendedColorType::Rgb8)
            .unwrap();
        assert!(decode(&png).is_ok());
        assert!(decode(&png[..png.len() / 2]).is_err());
    }

    #[test]
    fn a_tiny_jpeg_claiming_168_megapixels_is_refused_before_decoding() {
        // Found by the `image` fuzz target: 226 bytes stating 4112x40976
        // pixels, which decode (to grey) within the decoder's memory limit
        // and then took 24 s and 11 GB to grade.
        let bytes = include_bytes!("testdata/tiny-jpeg-168-megapixels.jpg");
        assert_eq!(bytes.len(), 226);
        let e = decode(bytes).unwrap_err();
        assert!(e.contains("4112x40976") && e.contains("megapixels"), "{e}");
        // A photograph at the limit still reads.
        let big = jpeg(6000, 4000);
        assert_eq!(decode(&big).unwrap().dimensions(), (6000, 4000));
    }

    #[test]
    fn a_small_file_claiming_huge_dimensions_is_refused_by_size() {
        // A 30000x30000 PNG whose only image data is one compressed row.
        fn chunk(kind: &[u8], data: &[u8]) -> Vec<u8> {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            let crc = crc32(&c[4..]);
            c.extend_from_slice(&crc.to_be_bytes());
            c
        }
        fn crc32(b: &[u8]) -> u32 {
            let mut c = !0u32;
            for &x in b {
                c ^= x as u32;
                for _ in 0..8 {
                    c = if c & 1 == 1 {
                        0xEDB8_8320 ^ (c >> 1)
                    } else {
                        c >> 1
                    };
                }
            }
            !c
        }
        let mut ihdr = 30000u32.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&30000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        // A stored (uncompressed) zlib block of one empty row would be
        // 90 kB; an empty deflate stream is enough for the header check.
        let idat = [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01];
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", &ihdr));
        png.extend(chunk(b"IDAT", &idat));
        png.extend(chunk(b"IEND", &[]));
        let e = decode(&png).unwrap_err();
        assert!(
            e.contains("30000x30000") && e.contains("smaller image"),
            "{e}"
        );
    }
}
