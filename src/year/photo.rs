//! The demo year's site photos: a drawn picture of a works site (sky, hills, the building going
//! up to the reported percentage, scaffolding, a crane, the road), 480 × 320 PNG, the same for the
//! same project and percentage. Invented data that looks like what staff upload, not a 1 × 1 dot.

use sha2::{Digest, Sha256};

/// Width of a photo, in pixels.
pub const WIDTH: u32 = 480;
/// Height of a photo, in pixels.
pub const HEIGHT: u32 = 320;

type Rgb = [u8; 3];

/// An RGB picture being drawn.
struct Canvas {
    px: Vec<u8>,
}

impl Canvas {
    fn new() -> Self {
        Canvas {
            px: vec![0; (WIDTH * HEIGHT * 3) as usize],
        }
    }

    fn set(&mut self, x: i64, y: i64, c: Rgb) {
        if (0..WIDTH as i64).contains(&x) && (0..HEIGHT as i64).contains(&y) {
            let i = ((y as u32 * WIDTH + x as u32) * 3) as usize;
            self.px[i..i + 3].copy_from_slice(&c);
        }
    }

    fn rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, c: Rgb) {
        for y in y0.max(0)..y1.min(HEIGHT as i64) {
            for x in x0.max(0)..x1.min(WIDTH as i64) {
                self.set(x, y, c);
            }
        }
    }

    fn disc(&mut self, cx: i64, cy: i64, r: i64, c: Rgb) {
        for y in cy - r..=cy + r {
            for x in cx - r..=cx + r {
                if (x - cx).pow(2) + (y - cy).pow(2) <= r * r {
                    self.set(x, y, c);
                }
            }
        }
    }

    /// A line `w` pixels thick.
    fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), w: i64, c: Rgb) {
        let steps = (x1 - x0).abs().max((y1 - y0).abs()).max(1);
        for s in 0..=steps {
            let x = x0 + (x1 - x0) * s / steps;
            let y = y0 + (y1 - y0) * s / steps;
            self.rect(x - w / 2, y - w / 2, x - w / 2 + w, y - w / 2 + w, c);
        }
    }
}

fn mix(a: Rgb, b: Rgb, num: u32, den: u32) -> Rgb {
    let f = |i: usize| ((a[i] as u32 * (den - num) + b[i] as u32 * num) / den.max(1)) as u8;
    [f(0), f(1), f(2)]
}

/// The photo of project `id` at `percent` complete, a PNG file.
pub fn site_photo(id: &str, percent: u32) -> Vec<u8> {
    let seed = Sha256::digest(id.as_bytes());
    let b = |i: usize| seed[i] as i64;
    let (w, h) = (WIDTH as i64, HEIGHT as i64);
    let horizon = 190 + b(0) % 30;
    let mut c = Canvas::new();
    // Sky: a vertical gradient, its blue from the seed; the sun.
    let (top, low) = (
        [70, 130 + (b(1) % 60) as u8, 200 + (b(2) % 50) as u8],
        [225, 235, 240],
    );
    for y in 0..horizon {
        c.rect(0, y, w, y + 1, mix(top, low, y as u32, horizon as u32));
    }
    c.disc(60 + b(3) % 360, 40 + b(4) % 30, 18, [255, 236, 170]);
    // Hills behind, then the ground and the road.
    for x in 0..w {
        let hill = horizon - 30 - ((x * (3 + b(5) % 4) + b(6) * 4) % 160 - 80).abs() / 3;
        c.rect(x, hill, x + 1, horizon, [96, 140 + (b(7) % 30) as u8, 96]);
    }
    c.rect(0, horizon, w, h, [150, 135, 105]);
    c.rect(0, h - 46, w, h - 14, [88, 88, 92]);
    for x in (0..w).step_by(48) {
        c.rect(x + 8, h - 31, x + 32, h - 28, [235, 235, 235]);
    }
    // The building: its storeys built as far as the percentage, with windows; the rest is
    // scaffolding.
    let (bx, bw) = (50 + b(8) % 100, 150 + b(9) % 60);
    let floors = 5 + b(10) % 3;
    let fh = (horizon - 40) / floors;
    let built = (floors * i64::from(percent.min(100)) + 99) / 100;
    let wall = [200 + (b(11) % 40) as u8, 190 + (b(12) % 40) as u8, 170];
    for f in 0..floors {
        let y1 = horizon - f * fh;
        let y0 = y1 - fh;
        if f < built {
            c.rect(bx, y0, bx + bw, y1, wall);
            for wx in (bx + 12..bx + bw - 20).step_by(30) {
                c.rect(wx, y0 + 8, wx + 16, y1 - 10, [90, 120, 150]);
            }
        } else {
            for sx in (bx..=bx + bw).step_by(25) {
                c.line((sx, y0), (sx, y1), 2, [120, 110, 100]);
            }
            c.line((bx, y0), (bx + bw, y0), 2, [120, 110, 100]);
        }
    }
    // A tower crane beside it.
    let (cx, top_y) = (bx + bw + 40, 30 + b(13) % 20);
    let yellow = [235, 180, 30];
    c.line((cx, horizon), (cx, top_y), 6, yellow);
    c.line((cx - 60, top_y), (cx + 120, top_y), 5, yellow);
    c.line((cx, top_y - 18), (cx + 110, top_y), 2, yellow);
    c.line((cx, top_y - 18), (cx - 60, top_y), 2, yellow);
    let hook = cx + 30 + b(14) % 70;
    c.line(
        (hook, top_y),
        (hook, top_y + 60 + b(15) % 60),
        1,
        [40, 40, 40],
    );
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().expect("a PNG header into memory");
        writer
            .write_image_data(&c.px)
            .expect("the PNG data into memory");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_photo_the_same_for_the_same_project() {
        let p = site_photo("county-2027-c03", 40);
        let dec = png::Decoder::new(std::io::Cursor::new(&p));
        let info = dec.read_info().expect("a PNG").info().clone();
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
        assert_eq!(p, site_photo("county-2027-c03", 40));
        assert_ne!(p, site_photo("county-2027-c04", 40));
        assert_ne!(p, site_photo("county-2027-c03", 100));
        assert!(
            p.len() < 1536 * 1024,
            "{} bytes: under the server's limit",
            p.len()
        );
    }
}
