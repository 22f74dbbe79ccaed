//! `spec/vectors/checkpoint.json`: the C2SP formats of `spec/protocol.md` §14 from fixed seeds —
//! the board's checkpoint note, a witness's cosignature, an `add-checkpoint` request body, and
//! notes every implementation must refuse.

use base64ct::{Base64, Encoding};
use piaojue_crypto::board::merkle::{empty_root, leaf_hash};
use piaojue_crypto::board::{
    BoardKey, Checkpoint, MerkleTree, Note, WitnessKey, cosigned_message, log_origin,
};
use piaojue_crypto::encoding::Bytes;
use serde_json::{Value, json};

/// The board key's seed in the vectors.
pub const BOARD_SEED: [u8; 32] = [0xb0; 32];
/// The witness key's seed in the vectors.
pub const WITNESS_SEED: [u8; 32] = [0xc0; 32];
/// The witness's name in the vectors.
pub const WITNESS_NAME: &str = "witness.example/w1";
/// The cosignature's timestamp in the vectors.
pub const TIMESTAMP: u64 = 1_767_225_600;

fn std64(bytes: &[u8]) -> String {
    Base64::encode_string(bytes)
}

fn note_text(note: &Note) -> String {
    String::from_utf8(note.to_bytes()).expect("notes are UTF-8")
}

/// The file's JSON.
pub fn vectors() -> Value {
    let board = BoardKey::from_seed(&BOARD_SEED);
    let witness = WitnessKey::from_seed(&WITNESS_SEED);
    let origin = log_origin("board.example/county", "vector-election");
    let board_vkey = board.verifier_key(&origin).expect("valid origin");
    let witness_vkey = witness.verifier_key(WITNESS_NAME).expect("valid name");

    let entries: Vec<String> = (0..5).map(|i| format!("entry {i}")).collect();
    let tree = MerkleTree::from_leaves(entries.iter().map(|e| leaf_hash(e.as_bytes())));
    let checkpoint_at = |size: u64| Checkpoint {
        origin: origin.clone(),
        size,
        root: Bytes(tree.root_at(size).expect("size ≤ 5")),
        extensions: vec![],
    };
    let signed = |cp: &Checkpoint| {
        let text = cp.text();
        Note::new(text.clone(), vec![board.sign_note(&origin, &text)]).expect("a valid note")
    };

    let old = checkpoint_at(3);
    let new = checkpoint_at(5);
    let new_note = signed(&new);
    let text = new.text();
    let cosignature = witness.cosign(WITNESS_NAME, &text, TIMESTAMP);
    let mut cosigned = new_note.clone();
    cosigned.push(cosignature.clone());
    let proof = tree.consistency_proof(3, 5).expect("3 ≤ 5");
    let mut request = format!("old {}\n", old.size);
    for h in &proof {
        request.push_str(&std64(h));
        request.push('\n');
    }
    request.push('\n');
    request.push_str(&note_text(&new_note));

    let empty = Checkpoint {
        origin: origin.clone(),
        size: 0,
        root: Bytes(empty_root()),
        extensions: vec![],
    };

    // Notes that must be refused with the board's and the witness's vkeys.
    let valid = note_text(&cosigned);
    let mut invalid: Vec<(&str, String)> = vec![
        (
            "the size changed after signing",
            valid.replacen("\n5\n", "\n6\n", 1),
        ),
        ("signed by another key under the board's name and key id", {
            let other = BoardKey::from_seed(&[0xb1; 32]);
            let mut s = other.sign_note(&origin, &text);
            s.key_id = board_vkey.key_id();
            note_text(&Note::new(text.clone(), vec![s]).expect("valid"))
        }),
        (
            "the board's signature under another key name: no trusted signature",
            {
                let s = board.sign_note("board.example/county/other", &text);
                note_text(&Note::new(text.clone(), vec![s]).expect("valid"))
            },
        ),
        (
            "no empty line before the signatures",
            valid.replacen("\n\n\u{2014}", "\n\u{2014}", 1),
        ),
        (
            "a carriage return in the text",
            valid.replacen('\n', "\r\n", 1),
        ),
        ("no signature line", text.clone() + "\n"),
    ];
    // The cosignature's timestamp changed (signed for TIMESTAMP, claims TIMESTAMP + 1).
    let mut moved = cosignature.clone();
    moved.bytes[..8].copy_from_slice(&(TIMESTAMP + 1).to_be_bytes());
    let mut n = new_note.clone();
    n.push(moved);
    invalid.push(("the cosignature's timestamp changed", note_text(&n)));
    // A cosignature made over a timestamp above 2^63 − 1.
    let mut n = new_note.clone();
    n.push(witness.cosign(WITNESS_NAME, &text, 1 << 63));
    invalid.push(("a cosignature timestamp above 2^63 − 1", note_text(&n)));
    // Non-canonical base64: non-zero unused bits in the board's signature line.
    let line = board.sign_note(&origin, &text).line();
    let trimmed = line.trim_end_matches('\n');
    let (head, last) = trimmed.split_at(trimmed.len() - 2);
    let bumped = format!(
        "{head}{}{last_pad}\n",
        bump_base64_char(last.chars().next().expect("two chars")),
        last_pad = &last[1..]
    );
    invalid.push((
        "non-canonical base64 in a signature (non-zero unused bits)",
        format!("{text}\n{bumped}"),
    ));

    json!({
        "description": "The C2SP formats of spec/protocol.md §14. base64 here is STANDARD base64 with padding (RFC 4648 §4), as C2SP has it, not the base64url of the rest of the protocol; seeds are hex. The board signs checkpoint texts with an Ed25519 note signature (type 0x01) under key name = origin; the witness cosigns with cosignature/v1 (type 0x04). `add_checkpoint_request` is a tlog-witness request body from size 3 to 5; every note in `invalid` must be refused (verified against board.vkey, and witness.vkey for the cosignature cases).",
        "board": {
            "seed_hex": hex::encode(BOARD_SEED),
            "public_key": board.public().to_base64(),
            "origin": origin,
            "key_id": format!("{:08x}", board_vkey.key_id()),
            "vkey": board_vkey.encode(),
        },
        "log": {
            "entries_utf8": entries,
            "old": {"size": old.size, "root": std64(&old.root.0), "text": old.text()},
            "consistency_proof_3_5": proof.iter().map(|h| std64(h)).collect::<Vec<_>>(),
        },
        "checkpoint": {
            "size": new.size,
            "root": std64(&new.root.0),
            "text": text,
            "signature_line": new_note.signatures()[0].line(),
            "note": note_text(&new_note),
        },
        "empty_checkpoint": {
            "text": empty.text(),
            "note": note_text(&signed(&empty)),
        },
        "witness": {
            "seed_hex": hex::encode(WITNESS_SEED),
            "name": WITNESS_NAME,
            "key_id": format!("{:08x}", witness_vkey.key_id()),
            "vkey": witness_vkey.encode(),
            "timestamp": TIMESTAMP,
            "cosigned_message": String::from_utf8(cosigned_message(&text, TIMESTAMP)).expect("UTF-8"),
            "cosignature_line": cosignature.line(),
            "cosigned_note": valid,
        },
        "add_checkpoint_request": request,
        "invalid": invalid
            .into_iter()
            .map(|(why, note)| json!({"why": why, "note": note}))
            .collect::<Vec<_>>(),
    })
}

/// The next base64 character (`A`→`B`, …), which flips the lowest bit of its 6.
fn bump_base64_char(c: char) -> char {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let i = ALPHABET.find(c).expect("a base64 character");
    ALPHABET.as_bytes()[i ^ 1] as char
}
