//! Chips to an input tensor, in the layout, channel order and scaling a
//! model was trained with.

use image::RgbImage;

use crate::package::{ColourOrder, Layout, ModelSpec};
use crate::runtime::Tensor;

/// How one model takes its chips.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSpec {
    pub name: String,
    pub size: u32,
    pub layout: Layout,
    pub order: ColourOrder,
    /// Per channel, in the model's order: value = (pixel - mean) / std.
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl InputSpec {
    /// NCHW RGB pixel values as they are (the built-in dlib graph scales them itself).
    pub fn raw_rgb(name: &str, size: u32) -> Self {
        Self {
            name: name.into(),
            size,
            layout: Layout::NCHW,
            order: ColourOrder::RGB,
            mean: [0.0; 3],
            std: [1.0; 3],
        }
    }

    pub fn of(spec: &ModelSpec) -> Self {
        Self {
            name: spec.input.clone(),
            size: spec.input_size[0],
            layout: spec.layout,
            order: spec.colour_order,
            mean: spec.normalisation.mean,
            std: spec.normalisation.std,
        }
    }

    /// For messages: `"x", NCHW 1x3x112x112 BGR`.
    pub fn describe(&self, n: usize) -> String {
        let s = self.size;
        let shape = match self.layout {
            Layout::NCHW => format!("{n}x3x{s}x{s}"),
            Layout::NHWC => format!("{n}x{s}x{s}x3"),
        };
        format!(
            "{:?}, {:?} {shape} {:?}",
            self.name, self.layout, self.order
        )
    }

    /// The input tensor for chips already checked to be `size` square.
    pub fn tensor(&self, chips: &[&RgbImage]) -> Tensor {
        let s = self.size as usize;
        let plane = s * s;
        let mut data = vec![0f32; chips.len() * 3 * plane];
        // Source channel (of RGB) for each model channel.
        let src = match self.order {
            ColourOrder::RGB => [0, 1, 2],
            ColourOrder::BGR => [2, 1, 0],
        };
        let scale = self.std.map(|v| 1.0 / v);
        let exact = self.mean == [0.0; 3] && self.std == [1.0; 3];
        for (i, chip) in chips.iter().enumerate() {
            let base = i * 3 * plane;
            for (j, p) in chip.pixels().enumerate() {
                for c in 0..3 {
                    let v = p[src[c]] as f32;
                    let v = if exact {
                        v
                    } else {
                        (v - self.mean[c]) * scale[c]
                    };
                    let at = match self.layout {
                        Layout::NCHW => base + c * plane + j,
                        Layout::NHWC => base + j * 3 + c,
                    };
                    data[at] = v;
                }
            }
        }
        let n = chips.len();
        let shape = match self.layout {
            Layout::NCHW => vec![n, 3, s, s],
            Layout::NHWC => vec![n, s, s, 3],
        };
        Tensor::new(shape, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_order_and_scaling() {
        let chip = RgbImage::from_fn(2, 2, |x, y| image::Rgb([10 * (x + 2 * y) as u8, 100, 200]));
        let mut spec = InputSpec::raw_rgb("x", 2);
        let t = spec.tensor(&[&chip]);
        assert_eq!(t.shape, [1, 3, 2, 2]);
        assert_eq!(&t.data[..4], &[0.0, 10.0, 20.0, 30.0]);
        assert_eq!(t.data[4], 100.0);
        spec.layout = Layout::NHWC;
        spec.order = ColourOrder::BGR;
        spec.mean = [100.0, 0.0, 0.0];
        spec.std = [2.0, 1.0, 4.0];
        let t = spec.tensor(&[&chip]);
        assert_eq!(t.shape, [1, 2, 2, 3]);
        // Pixel 1 (x=1, y=0): RGB (10, 100, 200) -> BGR (200, 100, 10) -> ((200-100)/2, 100, 10/4).
        assert_eq!(&t.data[3..6], &[50.0, 100.0, 2.5]);
    }
}
