//! The deputies' credential sheets: one printable, self-contained HTML page per credential,
//! with the booth link as a QR code (inline SVG), the seed in groups of 8 hex digits, the
//! election's short fingerprint (`spec/protocol.md` §6.5) and a serial number. The link carries
//! the full fingerprint after `#`, the deputy's pin (§6.6). The sheets carry no names: the
//! registrar hands them out at random. They are made only once the election's fingerprint is
//! known: after the key ceremony and the whole credential list.

use std::fmt::Write as _;

use piaojue_crypto::credential::Credential;
use piaojue_crypto::encoding::Digest32;
use piaojue_crypto::fingerprint::ShortFingerprint;
use piaojue_crypto::manifest::Manifest;
use qrcode::QrCode;
use qrcode::render::svg;
use zeroize::Zeroizing;

/// The booth link of a credential:
/// `<server>/elections/<id>/vote#credential=<64 hex>&fingerprint=<43 base64url>` (what follows
/// `#` never reaches the server).
pub fn booth_link(
    server: &str,
    election: &str,
    credential: &Credential,
    fingerprint: &Digest32,
) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "{}/elections/{election}/vote#credential={}&fingerprint={fingerprint}",
        server.trim_end_matches('/'),
        hex::encode(*credential.seed())
    ))
}

/// The seed in groups of 8 hex digits.
pub fn grouped(credential: &Credential) -> Zeroizing<String> {
    let hex = Zeroizing::new(hex::encode(*credential.seed()));
    let mut out = String::with_capacity(72);
    for (i, chunk) in hex.as_bytes().chunks(8).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(std::str::from_utf8(chunk).expect("hex is ASCII"));
    }
    Zeroizing::new(out)
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The QR code of `text` as an inline `<svg>` element.
fn qr_svg(text: &str) -> Zeroizing<String> {
    let code = QrCode::new(text.as_bytes()).expect("a booth link fits in a QR code");
    let svg = code
        .render::<svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg").unwrap_or(0);
    Zeroizing::new(svg[start..].to_string())
}

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','Source Han Sans SC','PingFang SC',sans-serif;margin:0}\
.sheet{page-break-after:always;break-after:page;padding:2cm;box-sizing:border-box;min-height:100vh}\
.sheet:last-child{page-break-after:auto;break-after:auto}\
h1{font-size:20pt;margin:0 0 .2em}h2{font-size:13pt;font-weight:normal;margin:0 0 1em;color:#333}\
.serial{float:right;font-size:11pt;color:#555}.qr{margin:1em 0}.qr svg{width:6cm;height:6cm}\
.seed{font-family:monospace;font-size:15pt;letter-spacing:.05em;border:1px solid #000;padding:.5em;display:inline-block}\
ol{font-size:11pt;line-height:1.6}.warn{font-weight:bold}\
.fingerprint{font-family:monospace;font-size:13pt;letter-spacing:.05em}";

/// The whole HTML document: one sheet per credential, serial numbers from 1, for the election
/// of fingerprint `fingerprint`.
pub fn render(
    manifest: &Manifest,
    server: &str,
    credentials: &[Credential],
    fingerprint: &Digest32,
) -> Zeroizing<String> {
    let short = ShortFingerprint::of(fingerprint);
    let title_zh = esc(&manifest.title.zh);
    let title_en = esc(&manifest.title.en);
    let id = esc(&manifest.election_id);
    let total = credentials.len();
    let mut html = Zeroizing::new(String::new());
    let _ = writeln!(
        html,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
<title>投票凭证 / Voting credentials — {title_zh}</title><style>{STYLE}</style></head><body>"
    );
    for (i, c) in credentials.iter().enumerate() {
        let link = booth_link(server, &manifest.election_id, c, fingerprint);
        let _ = writeln!(
            html,
            "<section class=\"sheet\"><div class=\"serial\">No. {serial:04} / {total}</div>\
<h1>{title_zh}</h1><h2>{title_en} · {id}</h2>\
<p>投票凭证 / Voting credential</p>\
<div class=\"qr\">{qr}</div>\
<div class=\"seed\">{seed}</div>\
<p class=\"url\">投票页面 / Voting page: {booth}</p>\
<p>选举指纹 / Election fingerprint: <span class=\"fingerprint\">{short}</span></p>\
<ol><li>用手机扫描二维码，打开投票页面；或在投票终端输入上面的凭证码。<br>Scan the QR code with your phone to open the voting page, or type the code above at a voting terminal.</li>\
<li>投票页面在选票旁显示选举指纹：须与上面印的、会场屏幕上显示的完全一致，否则不要投票，请告知监票人。<br>The voting page shows the election fingerprint beside the ballot: it must be exactly the one printed above and shown on the hall screen; if not, do not vote and tell the scrutineers.</li>\
<li>选择后，页面显示 16 位跟踪码，请记下；可以先“核验”（该票作废、不计入）再重新投票，确认无误后“投出”。<br>After choosing, the page shows a 16-character tracking code: write it down; you may audit a ballot (it is spoiled, never counted) and start again, then cast.</li>\
<li>保存回执，投票结束后可在公告板上核对自己的选票。<br>Keep your receipt: after the vote you can check your ballot on the public board.</li>\
<li class=\"warn\">凭证只能由本人使用，不要给他人看或拍照。凭证与姓名无关联。<br>This credential is yours alone: do not show or photograph it. It is not linked to your name.</li></ol>\
</section>",
            serial = i + 1,
            qr = *qr_svg(&link),
            seed = *grouped(c),
            booth = esc(&format!(
                "{}/elections/{}/vote",
                server.trim_end_matches('/'),
                manifest.election_id
            )),
        );
    }
    html.push_str("</body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use piaojue_crypto::manifest::TellerParams;

    #[test]
    fn sheets() {
        let manifest =
            piaojue_crypto::samples::up_to_k_of_n("e-1", 3, 2, TellerParams { n: 3, t: 2 });
        let creds: Vec<Credential> = (0..3)
            .map(|i| Credential::from_seed(&[i as u8 + 1; 32]))
            .collect();
        let f = piaojue_crypto::encoding::Bytes([0xff; 32]);
        let html = render(&manifest, "https://v.example/", &creds, &f);
        assert_eq!(html.matches("1844 6744 0737 0955 1615").count(), 3);
        assert_eq!(html.matches("class=\"sheet\"").count(), 3);
        assert_eq!(html.matches("<svg").count(), 3);
        assert!(html.contains("No. 0003 / 3"));
        assert!(html.contains("01010101 01010101"));
        assert_eq!(
            *booth_link("https://v.example/", "e-1", &creds[0], &f),
            format!(
                "https://v.example/elections/e-1/vote#credential={}&fingerprint={}",
                "01".repeat(32),
                "_".repeat(42) + "8"
            )
        );
    }
}
