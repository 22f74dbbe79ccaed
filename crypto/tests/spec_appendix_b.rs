//! Cross-check with `spec/protocol.md` Appendix B, whose values were computed by an independent
//! Python implementation of the spec (not by this code).

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
use piaojue_crypto::Scalar;
use piaojue_crypto::canonical::Canonical;
use piaojue_crypto::credential::CredentialList;
use piaojue_crypto::encoding::Point;
use piaojue_crypto::fingerprint::{ceremony_id, manifest_hash};
use piaojue_crypto::manifest::Manifest;
use piaojue_crypto::transcript::{ProofContext, TranscriptProtocol, new_transcript};

fn p(i: u64) -> Point {
    Point::from_point(G * Scalar::from(i))
}

fn challenge(mut t: merlin::Transcript) -> (String, String) {
    let mut bytes = [0u8; 64];
    t.challenge_bytes(b"challenge", &mut bytes);
    (
        hex::encode(bytes),
        hex::encode(Scalar::from_bytes_mod_order_wide(&bytes).as_bytes()),
    )
}

#[test]
fn b1_points() {
    assert_eq!(
        hex::encode(p(1).as_bytes()),
        "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
    );
    assert_eq!(
        hex::encode(p(5).as_bytes()),
        "e882b131016b52c1d3337080187cf768423efccbb517bb495ab812c4160ff44e"
    );
}

#[test]
fn b2_manifest_hash_and_ceremony_id() {
    let m: Manifest = serde_json::from_str(
        r#"{"version":2,"election_id":"demo","title":{"zh":"测试","en":"Test"},"congress":{"zh":"","en":""},"deputies":3,
        "tellers":{"n":1,"t":1},
        "contests":[{"id":"c","title":{"zh":"选择","en":""},"min":0,"max":1,"options":[
          {"id":"a","title":{"zh":"甲","en":""}},
          {"id":"b","title":{"zh":"乙","en":""},"project":{"department":{"zh":"县水利局","en":""},
           "investment_yuan":1000,"completion":"2027-12","description":{"zh":"","en":""}}}]}],
        "decision":{"kind":"counts"},"board":{"origin":"piaojue.example/board/demo","key":"cF-6wB9VGYmfQ3vELkAlWumrVL_wDeNDOvfWh9nnGtU"},"witnesses":{"quorum":0,"list":[]}}"#,
    )
    .unwrap();
    assert_eq!(m.canonical_bytes().len(), 238);
    let h = manifest_hash(&m);
    assert_eq!(
        hex::encode(h.0),
        "371e4d59027a423f6d3d83fe4aab73fb3d2aeed682946abdfed5e2e78c05fc7a"
    );
    assert_eq!(
        hex::encode(ceremony_id(&h).0),
        "f13ce5368f6e764fa0fc29cd44b78681880862682ae0d33a7ad39185c24b372f"
    );
    assert_eq!(
        hex::encode(CredentialList::default().hash().0),
        "18012ab10ec09cca2242f99c696c937a34335fdba2cab17f67b1d587e7c855f0"
    );
}

#[test]
fn b3_transcript_challenges() {
    let mut t = new_transcript();
    t.begin_proof(b"schnorr", &ProofContext::new([1; 32], [2; 32], b"test"));
    t.append_point(b"X", &p(1));
    t.append_point(b"R", &p(2));
    let (bytes, c) = challenge(t);
    assert_eq!(
        bytes,
        "e8857428fed132e88c2b2163a09e6e7d3e9137b0c1ac5db1b84f752f5fce5e36dc17835714e46b6beefb113e987dc39d17f77956ca733b6c5b178b0ffb684630"
    );
    assert_eq!(
        c,
        "90700e6baed390d80375b47946dff9ccdb3e56b20b941063f8803a4ad3a8e600"
    );

    let mut t = new_transcript();
    t.begin_proof(b"dleq", &ProofContext::new([3; 32], [4; 32], b"test"));
    t.append_point(b"H", &p(2));
    t.append_point(b"X", &p(1));
    t.append_point(b"Y", &p(4));
    t.append_point(b"R1", &p(3));
    t.append_point(b"R2", &p(5));
    let (bytes, c) = challenge(t);
    assert_eq!(
        bytes,
        "4779a0fea13a9defc337041dbcd931ec431cb84cdedc41ebe0e80f22c492e24cda92ac5d39ff81edd46e76debe0b4cc982730458aff6088ea74703b8104d8b05"
    );
    assert_eq!(
        c,
        "cd10774b3c8b4ba06a83cc7c7151795350c89aa4d28e6f7259e641bb09c75d01"
    );

    let mut t = new_transcript();
    t.begin_proof(
        b"range",
        &ProofContext::new([5; 32], [6; 32], b"selection").at(1, 2),
    );
    t.append_point(b"K", &p(3));
    t.append_int(b"lo", 0);
    t.append_int(b"hi", 1);
    t.append_int(b"count", 1);
    t.append_point(b"alpha", &p(4));
    t.append_point(b"beta", &p(5));
    t.append_point(b"A", &p(1));
    t.append_point(b"B", &p(2));
    t.append_point(b"A", &p(3));
    t.append_point(b"B", &p(4));
    let (bytes, c) = challenge(t);
    assert_eq!(
        bytes,
        "b0feb14071aa0dd0b81e6503d7cbf8ce108980b160358632183833549c947c4097a5b7211e61f63d3194286e82b9b1075fcc5553995e58618ba372dfc1b46829"
    );
    assert_eq!(
        c,
        "921ad91b60ed0104bec9974d2b6c40fc28be990f36694e13c5debfecf9d52c02"
    );
}
