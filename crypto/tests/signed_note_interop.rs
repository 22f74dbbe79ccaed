//! Cross-implementation checks of the C2SP formats (`spec/protocol.md` §14): Piaojue's
//! board-signed checkpoints and witness cosignatures must verify with Cloudflare's independent
//! `signed_note` crate (a port of Go's `golang.org/x/mod/sumdb/note`), and notes that crate signs
//! must verify with Piaojue's code.

use base64ct::{Base64, Encoding};
use piaojue_crypto::board::{
    BoardKey, Checkpoint, Note, VerifierKey, WitnessKey, cosigned_message, log_origin,
};
use piaojue_crypto::encoding::Bytes;
use signed_note::{StandardSigner, StandardVerifier, VerifierList};

fn checkpoint(size: u64) -> Checkpoint {
    Checkpoint {
        origin: log_origin("board.example/county", "e-2026"),
        size,
        root: Bytes([size as u8; 32]),
        extensions: vec![],
    }
}

#[test]
fn board_checkpoints_verify_with_signed_note() {
    let board = BoardKey::from_seed(&[0x11; 32]);
    for size in [0, 1, 7, 1 << 40] {
        let cp = checkpoint(size);
        let text = cp.text();
        let sig = board.sign_note(&cp.origin, &text);
        let ours = Note::new(text.clone(), vec![sig]).unwrap();
        let vkey = board.verifier_key(&cp.origin).unwrap().encode();
        let theirs_vk = StandardVerifier::new(&vkey).unwrap();
        let parsed = signed_note::Note::from_bytes(&ours.to_bytes()).unwrap();
        let (verified, unverified) = parsed
            .verify(&VerifierList::new(vec![Box::new(theirs_vk)]))
            .unwrap();
        assert_eq!(verified.len(), 1);
        assert!(unverified.is_empty());
        assert_eq!(parsed.text(), text.as_bytes());

        // A tampered size fails there too.
        let forged = String::from_utf8(ours.to_bytes()).unwrap().replacen(
            &format!("\n{size}\n"),
            &format!("\n{}\n", size + 1),
            1,
        );
        let parsed = signed_note::Note::from_bytes(forged.as_bytes()).unwrap();
        let theirs_vk = StandardVerifier::new(&vkey).unwrap();
        assert!(
            parsed
                .verify(&VerifierList::new(vec![Box::new(theirs_vk)]))
                .is_err()
        );
    }
}

#[test]
fn notes_signed_by_signed_note_verify_with_ours() {
    let seed = [0x22u8; 32];
    let name = "log.example/other";
    let board = BoardKey::from_seed(&seed);
    let ours_vk = board.verifier_key(name).unwrap();
    // Their signer key format: PRIVATE+KEY+name+id+base64(0x01 ‖ seed).
    let mut material = vec![0x01];
    material.extend_from_slice(&seed);
    let skey = format!(
        "PRIVATE+KEY+{name}+{:08x}+{}",
        ours_vk.key_id(),
        Base64::encode_string(&material)
    );
    let signer = StandardSigner::new(&skey).unwrap();
    let mut theirs = signed_note::Note::new(
        b"log.example/other\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        &[],
    )
    .unwrap();
    theirs.add_sigs(&[&signer]).unwrap();
    let bytes = theirs.to_bytes();
    let note = Note::parse(&bytes).unwrap();
    assert_eq!(note.to_bytes(), bytes);
    assert_eq!(
        note.verify(std::slice::from_ref(&ours_vk)).unwrap(),
        vec![&ours_vk]
    );
    // Their vkey parses as ours.
    let their_vkey = signed_note::new_ed25519_verifier_key(
        name,
        &ed25519_dalek_v2_key(&board.public().to_base64()),
    );
    assert_eq!(VerifierKey::parse(&their_vkey).unwrap(), ours_vk);
    let cp = Checkpoint::parse(note.text()).unwrap();
    assert_eq!(cp.size, 5);
    // A flipped byte of their signature is refused by ours.
    let mut bad = note.clone();
    let mut sig = bad.signatures()[0].clone();
    sig.bytes[3] ^= 4;
    bad = Note::new(bad.text().into(), vec![sig]).unwrap();
    assert!(bad.verify(std::slice::from_ref(&ours_vk)).is_err());
}

/// Their ed25519-dalek (v2) key from our base64url public key.
fn ed25519_dalek_v2_key(b64url: &str) -> signed_note_ed25519::VerifyingKey {
    let bytes: [u8; 32] = piaojue_crypto::encoding::decode_base64_array(b64url).unwrap();
    signed_note_ed25519::VerifyingKey::from_bytes(&bytes).unwrap()
}

#[test]
fn witness_cosignatures_are_note_signatures_signed_note_parses() {
    // signed_note verifies only Ed25519 (0x01) itself; a cosignature (0x04) must still parse as
    // a signature line of an ordinary note there and be ignored as an unknown key, and its bytes
    // must be exactly timestamp ‖ Ed25519 signature of the cosigned message.
    let board = BoardKey::from_seed(&[0x11; 32]);
    let witness = WitnessKey::from_seed(&[0x33; 32]);
    let cp = checkpoint(9);
    let text = cp.text();
    let mut note = Note::new(text.clone(), vec![board.sign_note(&cp.origin, &text)]).unwrap();
    let co = witness.cosign("witness.example/w1", &text, 1_700_000_000);
    note.push(co.clone());
    let parsed = signed_note::Note::from_bytes(&note.to_bytes()).unwrap();
    let vkey = board.verifier_key(&cp.origin).unwrap().encode();
    let (verified, unverified) = parsed
        .verify(&VerifierList::new(vec![Box::new(
            StandardVerifier::new(&vkey).unwrap(),
        )]))
        .unwrap();
    assert_eq!((verified.len(), unverified.len()), (1, 1));
    assert_eq!(unverified[0].signature(), &co.bytes[..]);
    assert_eq!(unverified[0].id(), co.key_id);
    // The Ed25519 signature inside checks with an independent ed25519 implementation.
    let vk = ed25519_dalek_v2_key(&witness.public().to_base64());
    let sig = signed_note_ed25519::Signature::from_slice(&co.bytes[8..]).unwrap();
    use signed_note_ed25519::Verifier as _;
    assert!(
        vk.verify(&cosigned_message(&text, 1_700_000_000), &sig)
            .is_ok()
    );
}
