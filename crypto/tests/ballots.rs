//! Ballots: completeness, tampering, copying, batch verification and audit openings.

use piaojue_crypto::Scalar;
use piaojue_crypto::ballot::{
    AuditedBallot, Ballot, BallotError, ElectionContext, Selection, verify_ballots,
};
use piaojue_crypto::credential::{Credential, CredentialList};
use piaojue_crypto::encoding::{Bytes, Point, PublicKey};
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::proofs::ProofError;
use piaojue_crypto::samples;
use proptest::prelude::*;

const TELLERS: TellerParams = TellerParams { n: 3, t: 2 };

struct Fixture {
    ctx: ElectionContext,
    creds: Vec<Credential>,
    list: CredentialList,
}

fn fixture(manifest: piaojue_crypto::manifest::Manifest, voters: usize) -> Fixture {
    let mut rng = rand::rng();
    let creds: Vec<Credential> = (0..voters)
        .map(|_| Credential::generate(&mut rng))
        .collect();
    let list = CredentialList::new(creds.iter().map(Credential::public)).unwrap();
    let key = PublicKey::from_secret(&Scalar::from(0x5eed_u64));
    let ctx = ElectionContext::new(manifest, Bytes([7; 32]), key).unwrap();
    Fixture { ctx, creds, list }
}

fn up_to_2_of_4() -> Fixture {
    fixture(samples::up_to_k_of_n("t", 4, 2, TELLERS), 4)
}

#[test]
fn every_valid_selection_builds_a_ballot_that_verifies() {
    let f = up_to_2_of_4();
    let mut rng = rand::rng();
    for chosen in [vec![], vec![0], vec![3], vec![1, 2], vec![0, 3]] {
        let sel = Selection::from_chosen(&f.ctx.manifest, &[chosen]).unwrap();
        let (ballot, _) = Ballot::build(&f.ctx, &f.creds[0], &sel, &mut rng).unwrap();
        let v = ballot.clone().verify(&f.ctx, &f.list).unwrap();
        assert_eq!(v.tracking_code(), &ballot.tracking_code());
        // JSON round trip keeps it valid and the tracking code unchanged.
        let back: Ballot = serde_json::from_str(&serde_json::to_string(&ballot).unwrap()).unwrap();
        assert_eq!(back.tracking_code(), ballot.tracking_code());
        back.verify(&f.ctx, &f.list).unwrap();
    }
    let yna = fixture(samples::yes_no_abstain("y", 3, 2, TELLERS), 1);
    let sel = Selection::from_chosen(&yna.ctx.manifest, &[vec![0], vec![1], vec![2]]).unwrap();
    let (b, _) = Ballot::build(&yna.ctx, &yna.creds[0], &sel, &mut rng).unwrap();
    b.verify(&yna.ctx, &yna.list).unwrap();
}

#[test]
fn invalid_selections_are_refused_before_encryption() {
    let f = up_to_2_of_4();
    assert!(Selection::from_chosen(&f.ctx.manifest, &[vec![0, 1, 2]]).is_err());
    assert!(Selection::from_chosen(&f.ctx.manifest, &[vec![4]]).is_err());
    assert!(Selection::from_chosen(&f.ctx.manifest, &[]).is_err());
    let bad = Selection(vec![vec![2, 0, 0, 0]]);
    assert!(Ballot::build(&f.ctx, &f.creds[0], &bad, &mut rand::rng()).is_err());
    let yna = fixture(samples::yes_no_abstain("y", 2, 1, TELLERS), 1);
    // Nothing chosen in a [1, 1] contest.
    assert!(Selection::from_chosen(&yna.ctx.manifest, &[vec![0], vec![]]).is_err());
}

fn ballot(f: &Fixture, voter: usize, chosen: Vec<usize>) -> Ballot {
    let sel = Selection::from_chosen(&f.ctx.manifest, &[chosen]).unwrap();
    Ballot::build(&f.ctx, &f.creds[voter], &sel, &mut rand::rng())
        .unwrap()
        .0
}

fn resign(b: &mut Ballot, cred: &Credential) {
    // Re-sign with a credential: what a thief or a malicious server could do with its own key.
    let fresh = Credential::from_seed(&cred.seed());
    b.credential = fresh.public();
    let msg = b.signed_bytes();
    b.signature = Bytes(ed25519_dalek::SigningKey::from_bytes(&fresh.seed()).sign_bytes(&msg));
}

trait SignBytes {
    fn sign_bytes(&self, msg: &[u8]) -> [u8; 64];
}
impl SignBytes for ed25519_dalek::SigningKey {
    fn sign_bytes(&self, msg: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer;
        self.sign(msg).to_bytes()
    }
}

#[test]
fn tampered_ballots_are_refused_with_the_right_reason() {
    let f = up_to_2_of_4();
    let b = ballot(&f, 0, vec![1, 3]);
    let verify = |b: &Ballot| b.clone().verify(&f.ctx, &f.list);

    // Changed ciphertext (re-signed, so only the proof can catch it).
    let mut t = b.clone();
    t.contests[0].selections[2].ciphertext = t.contests[0].selections[1].ciphertext;
    resign(&mut t, &f.creds[0]);
    assert!(matches!(
        verify(&t),
        Err(BallotError::Proof {
            contest: 0,
            option: Some(2),
            ..
        })
    ));

    // Changed challenge and response.
    let mut t = b.clone();
    t.contests[0].selections[0].proof.challenges[0] += Scalar::ONE;
    resign(&mut t, &f.creds[0]);
    assert!(matches!(
        verify(&t),
        Err(BallotError::Proof {
            contest: 0,
            option: Some(0),
            ..
        })
    ));
    let mut t = b.clone();
    t.contests[0].proof.responses[1] += Scalar::ONE;
    resign(&mut t, &f.creds[0]);
    assert!(matches!(
        verify(&t),
        Err(BallotError::Proof {
            contest: 0,
            option: None,
            ..
        })
    ));

    // Swapped proofs between options.
    let mut t = b.clone();
    let p = t.contests[0].selections[0].proof.clone();
    t.contests[0].selections[0].proof = t.contests[0].selections[1].proof.clone();
    t.contests[0].selections[1].proof = p;
    resign(&mut t, &f.creds[0]);
    assert!(matches!(verify(&t), Err(BallotError::Proof { .. })));

    // Changed anything without re-signing: the signature fails.
    let mut t = b.clone();
    t.contests[0].selections[0].proof.responses[0] += Scalar::ONE;
    assert_eq!(verify(&t), Err(BallotError::Signature));

    // Another election.
    let mut t = b.clone();
    t.election = Bytes([8; 32]);
    assert_eq!(verify(&t), Err(BallotError::WrongElection));

    // A ballot copied from deputy 0 and re-signed by deputy 1: the proofs bind deputy 0's
    // credential, so they fail under deputy 1's.
    let mut copied = b.clone();
    resign(&mut copied, &f.creds[1]);
    assert!(matches!(verify(&copied), Err(BallotError::Proof { .. })));

    // A credential not on the list.
    let stranger = Credential::generate(&mut rand::rng());
    let mut t = b.clone();
    resign(&mut t, &stranger);
    assert_eq!(verify(&t), Err(BallotError::UnknownCredential));

    // Wrong shape.
    let mut t = b.clone();
    t.contests[0].selections.pop();
    assert!(matches!(verify(&t), Err(BallotError::Shape(_))));
    let mut t = b.clone();
    t.contests[0].proof.commitments.pop();
    assert!(matches!(verify(&t), Err(BallotError::Shape(_))));

    // A changed ciphertext changes the tracking code.
    let mut t = b.clone();
    t.contests[0].selections[0].ciphertext.a =
        Point::from_point(*t.contests[0].selections[0].ciphertext.b.point());
    assert_ne!(t.tracking_code(), b.tracking_code());
    b.verify(&f.ctx, &f.list).unwrap();
}

#[test]
fn malformed_json_is_refused() {
    let f = up_to_2_of_4();
    let b = ballot(&f, 0, vec![0]);
    let v = serde_json::to_value(&b).unwrap();
    let mut unknown = v.clone();
    unknown["extra"] = serde_json::json!(1);
    assert!(serde_json::from_value::<Ballot>(unknown).is_err());
    let mut bad_point = v.clone();
    bad_point["contests"][0]["selections"][0]["ciphertext"]["a"] =
        serde_json::json!("ff".repeat(32));
    assert!(serde_json::from_value::<Ballot>(bad_point).is_err());
    let mut bad_scalar = v.clone();
    bad_scalar["contests"][0]["proof"]["responses"][0] = serde_json::json!("ff".repeat(32));
    assert!(serde_json::from_value::<Ballot>(bad_scalar).is_err());
    let mut weak_cred = v.clone();
    weak_cred["credential"] = serde_json::json!(format!("01{}", "00".repeat(31)));
    assert!(serde_json::from_value::<Ballot>(weak_cred).is_err());
    let mut short_sig = v;
    short_sig["signature"] = serde_json::json!("00");
    assert!(serde_json::from_value::<Ballot>(short_sig).is_err());
}

#[test]
fn one_bad_ballot_among_a_thousand_fails_the_batch_and_is_found() {
    let f = fixture(samples::yes_no_abstain("b", 1, 1, TELLERS), 1000);
    let mut rng = rand::rng();
    let mut ballots: Vec<Ballot> = f
        .creds
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let sel = Selection::from_chosen(&f.ctx.manifest, &[vec![i % 3]]).unwrap();
            Ballot::build(&f.ctx, c, &sel, &mut rng).unwrap().0
        })
        .collect();
    let all_good = verify_ballots(&f.ctx, &f.list, ballots.clone());
    assert_eq!(all_good.verified.len(), 1000);
    assert!(all_good.rejected.is_empty());

    // One proof response changed, ballot re-signed by its own credential.
    ballots[617].contests[0].selections[1].proof.responses[0] += Scalar::ONE;
    let cred = &f.creds[617];
    resign(&mut ballots[617], cred);
    // And a bad signature elsewhere.
    ballots[3].signature.0[10] ^= 1;
    let out = verify_ballots(&f.ctx, &f.list, ballots);
    assert_eq!(out.verified.len(), 998);
    let bad: Vec<usize> = out.rejected.iter().map(|(i, _, _)| *i).collect();
    assert_eq!(bad, [3, 617]);
    assert_eq!(out.rejected[0].1, BallotError::Signature);
    assert!(matches!(
        out.rejected[1].1,
        BallotError::Proof {
            contest: 0,
            option: Some(1),
            error: ProofError::Invalid(_)
        }
    ));
}

#[test]
fn audit_opening_reveals_the_selection_and_detects_a_lying_device() {
    let f = up_to_2_of_4();
    let sel = Selection::from_chosen(&f.ctx.manifest, &[vec![0, 2]]).unwrap();
    let (ballot, secrets) = Ballot::build(&f.ctx, &f.creds[2], &sel, &mut rand::rng()).unwrap();
    let audited = AuditedBallot {
        ballot,
        opening: secrets.open(),
    };
    assert_eq!(audited.check_opening(&f.ctx).unwrap(), sel);
    let json = serde_json::to_string(&audited).unwrap();
    let back: AuditedBallot = serde_json::from_str(&json).unwrap();
    assert_eq!(back.check_opening(&f.ctx).unwrap(), sel);

    // A device that claims another choice than it encrypted is caught.
    let mut lie = audited.clone();
    lie.opening.contests[0][1].value = 1;
    assert!(matches!(
        lie.check_opening(&f.ctx),
        Err(BallotError::Opening(_))
    ));
    let mut lie = audited.clone();
    lie.opening.contests[0][0].randomness += Scalar::ONE;
    assert!(lie.check_opening(&f.ctx).is_err());
    let mut lie = audited;
    lie.opening.contests[0].pop();
    assert!(lie.check_opening(&f.ctx).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn any_allowed_choice_verifies_and_any_single_bit_flip_in_a_proof_fails(
        picks in proptest::sample::subsequence(vec![0usize, 1, 2, 3], 0..=2),
        which in 0usize..4,
        bit in 0usize..256,
    ) {
        let f = up_to_2_of_4();
        let b = ballot(&f, 1, picks);
        prop_assert!(b.clone().verify(&f.ctx, &f.list).is_ok());
        let mut t = b.clone();
        let s = &mut t.contests[0].selections[which].proof.responses[which % 2];
        let mut bytes = s.to_bytes();
        bytes[bit / 8 % 31] ^= 1 << (bit % 8);
        *s = Scalar::from_bytes_mod_order(bytes);
        resign(&mut t, &f.creds[1]);
        prop_assert!(t.verify(&f.ctx, &f.list).is_err());
    }
}
