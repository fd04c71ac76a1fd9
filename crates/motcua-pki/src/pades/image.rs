//! Images drawn in signature appearances: the signer's handwritten signature, the
//! organisation's seal. Decoded from PNG with their transparency, so that they overlap like ink.

use serde::{Deserialize, Serialize};

/// Largest side accepted, in pixels: a seal scanned at 600 dpi is under 1 000.
pub const MAX_IMAGE_SIDE: u32 = 2_000;

/// Why an uploaded image cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("not a PNG image that can be read: {0}")]
    NotPng(String),
    #[error("the image is {width}×{height} pixels; at most {MAX_IMAGE_SIDE} a side")]
    TooLarge { width: u32, height: u32 },
    #[error("the image has no transparency: an RGBA or grey-and-alpha PNG is needed, so that it does not hide what it overlaps")]
    Opaque,
}

/// An image as a PDF draws it: 8-bit RGB samples and an 8-bit alpha mask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppearanceImage {
    pub width: u32,
    pub height: u32,
    /// Row by row, three bytes a pixel.
    pub rgb: Vec<u8>,
    /// Row by row, one byte a pixel.
    pub alpha: Vec<u8>,
}

impl AppearanceImage {
    /// Decodes a PNG with transparency (an alpha channel, or a `tRNS` chunk).
    pub fn from_png(bytes: &[u8]) -> Result<Self, ImageError> {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        // Palette, low bit depths and tRNS become 8-bit RGB(A) or grey(-alpha) samples.
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        decoder.set_limits(png::Limits {
            bytes: 64 * 1024 * 1024,
        });
        let mut reader = decoder
            .read_info()
            .map_err(|e| ImageError::NotPng(e.to_string()))?;
        let (width, height) = (reader.info().width, reader.info().height);
        if width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width == 0 || height == 0 {
            return Err(ImageError::TooLarge { width, height });
        }
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| ImageError::NotPng("the image is too large".into()))?;
        let mut buffer = vec![0; size];
        let frame = reader
            .next_frame(&mut buffer)
            .map_err(|e| ImageError::NotPng(e.to_string()))?;
        let samples = buffer.get(..frame.buffer_size()).unwrap_or_default();
        let pixels = (width as usize) * (height as usize);
        let (mut rgb, mut alpha) = (Vec::with_capacity(pixels * 3), Vec::with_capacity(pixels));
        match frame.color_type {
            png::ColorType::Rgba => {
                for pixel in samples.chunks_exact(4) {
                    rgb.extend_from_slice(&pixel[..3]);
                    alpha.push(pixel[3]);
                }
            }
            png::ColorType::GrayscaleAlpha => {
                for pixel in samples.chunks_exact(2) {
                    rgb.extend_from_slice(&[pixel[0]; 3]);
                    alpha.push(pixel[1]);
                }
            }
            _ => return Err(ImageError::Opaque),
        }
        if alpha.len() != pixels || alpha.iter().all(|a| *a == u8::MAX) {
            return Err(ImageError::Opaque);
        }
        Ok(Self {
            width,
            height,
            rgb,
            alpha,
        })
    }

    /// The image XObject body and its soft mask's, Flate-compressed; the image refers to the
    /// mask as `mask_id`.
    pub(super) fn xobjects(&self, mask_id: (u32, u16)) -> (Vec<u8>, Vec<u8>) {
        let stream = |dict: String, data: &[u8]| {
            let compressed = miniz_oxide::deflate::compress_to_vec_zlib(data, 6);
            let mut body = format!(
                "<<{dict} /Filter /FlateDecode /Length {}>>\nstream\n",
                compressed.len()
            )
            .into_bytes();
            body.extend_from_slice(&compressed);
            body.extend_from_slice(b"\nendstream");
            body
        };
        let (w, h) = (self.width, self.height);
        let image = stream(
            format!(
                "/Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceRGB \
                 /BitsPerComponent 8 /SMask {} {} R",
                mask_id.0, mask_id.1
            ),
            &self.rgb,
        );
        let mask = stream(
            format!(
                "/Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceGray \
                 /BitsPerComponent 8"
            ),
            &self.alpha,
        );
        (image, mask)
    }

    /// Where the image goes in a `width` × `height` box: as large as fits, its proportions
    /// kept, centred; `(x, y, w, h)`.
    pub(super) fn fitted(&self, width: f32, height: f32) -> (f32, f32, f32, f32) {
        let scale = (width / self.width as f32).min(height / self.height as f32);
        let (w, h) = (self.width as f32 * scale, self.height as f32 * scale);
        ((width - w) / 2.0, (height - h) / 2.0, w, h)
    }
}

/// A stand-in seal for demonstrations and tests: two red rings and a red star on a transparent
/// square of `side` pixels (600 px ≈ 38 mm at 400 dpi). Labelled nowhere as a real seal: it has
/// no name.
pub fn sample_seal_png(side: u32) -> Vec<u8> {
    let centre = side as f32 / 2.0;
    let (outer, inner, band) = (centre * 0.95, centre * 0.68, centre * 0.06);
    raster_png(side, side, [200, 16, 16], |x, y| {
        let (dx, dy) = (x - centre, y - centre);
        let distance = (dx * dx + dy * dy).sqrt();
        let on_ring = (distance - outer).abs() < band || (distance - inner).abs() < band / 2.0;
        // A five-pointed star: the radius allowed at this angle swings between the tips and
        // the notches.
        let angle = dy.atan2(dx) + std::f32::consts::FRAC_PI_2;
        let swing = ((angle * 5.0 / 2.0).cos().abs()).powf(3.0);
        let in_star = distance < centre * (0.12 + 0.16 * swing);
        on_ring || in_star
    })
}

/// A stand-in handwritten signature for demonstrations and tests: a dark blue stroke on a
/// transparent `width` × `height` image.
pub fn sample_signature_png(width: u32, height: u32) -> Vec<u8> {
    let (w, h) = (width as f32, height as f32);
    raster_png(width, height, [20, 40, 140], |x, y| {
        let t = x / w;
        let curve = h * (0.5 + 0.3 * (t * 9.0).sin() * (1.0 - t));
        (0.08..0.92).contains(&t) && (y - curve).abs() < h * 0.035
    })
}

/// An RGBA PNG: `ink` where `inked(x, y)` holds (y from the top), transparent elsewhere.
fn raster_png(width: u32, height: u32, ink: [u8; 3], inked: impl Fn(f32, f32) -> bool) -> Vec<u8> {
    let mut pixels = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            let on = inked(x as f32 + 0.5, y as f32 + 0.5);
            pixels.extend_from_slice(&ink);
            pixels.push(if on { 255 } else { 0 });
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    // Writing to memory cannot fail once the header and the sizes agree.
    if let Ok(mut writer) = encoder.write_header() {
        let _ = writer.write_image_data(&pixels);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(color: png::ColorType, width: u32, height: u32, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, width, height);
            encoder.set_color(color);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().expect("header");
            writer.write_image_data(data).expect("data");
        }
        out
    }

    #[test]
    fn transparent_pngs_decode_and_opaque_or_broken_ones_are_refused() {
        let rgba = png(png::ColorType::Rgba, 2, 1, &[200, 0, 0, 255, 0, 0, 0, 0]);
        let image = AppearanceImage::from_png(&rgba).expect("decoded");
        assert_eq!((image.width, image.height), (2, 1));
        assert_eq!(image.rgb, [200, 0, 0, 0, 0, 0]);
        assert_eq!(image.alpha, [255, 0]);
        let opaque = png(png::ColorType::Rgb, 1, 1, &[1, 2, 3]);
        assert_eq!(AppearanceImage::from_png(&opaque), Err(ImageError::Opaque));
        let all_opaque = png(png::ColorType::Rgba, 1, 1, &[1, 2, 3, 255]);
        assert_eq!(
            AppearanceImage::from_png(&all_opaque),
            Err(ImageError::Opaque)
        );
        assert!(matches!(
            AppearanceImage::from_png(b"GIF89a"),
            Err(ImageError::NotPng(_))
        ));
        assert!(matches!(
            AppearanceImage::from_png(&rgba[..rgba.len() - 20]),
            Err(ImageError::NotPng(_))
        ));
        for sample in [sample_seal_png(200), sample_signature_png(300, 100)] {
            let image = AppearanceImage::from_png(&sample).expect("the samples decode");
            assert!(image.alpha.contains(&0) && image.alpha.contains(&255));
        }
        let wide = png(png::ColorType::GrayscaleAlpha, 3_000, 1, &vec![0; 6_000]);
        assert!(matches!(
            AppearanceImage::from_png(&wide),
            Err(ImageError::TooLarge { .. })
        ));
    }
}
