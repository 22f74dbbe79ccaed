//! Property tests of the count: no malformed ballot is accepted, and no accepted ballot changes
//! the count by anything but its own choices. Case counts are small so that they run in
//! seconds in a debug build.

use piaojue_crypto::ballot::{Ballot, ElectionContext, Selection};
use piaojue_crypto::credential::{Credential, CredentialList};
use piaojue_crypto::encoding::{Bytes, PublicKey};
use piaojue_crypto::manifest::TellerParams;
use piaojue_crypto::tally::{Counts, RunningTally, counts_from_points};
use piaojue_crypto::{RistrettoPoint, Scalar, samples};
use proptest::prelude::*;

const SECRET: u64 = 0x5eed;
const VOTERS: usize = 6;

struct Fixture {
    ctx: ElectionContext,
    creds: Vec<Credential>,
    list: CredentialList,
}

fn fixture() -> Fixture {
    let creds: Vec<Credential> = (0..VOTERS as u8)
        .map(|i| Credential::from_seed(&[i + 1; 32]))
        .collect();
    let list = CredentialList::new(creds.iter().map(Credential::public)).unwrap();
    let key = PublicKey::from_secret(&Scalar::from(SECRET));
    // Yes/no/abstain on 3 projects, 2 seats: three contests of three options.
    let m = samples::yes_no_abstain("p", 3, 2, TellerParams { n: 3, t: 2 });
    let ctx = ElectionContext::new(m, Bytes([7; 32]), key).unwrap();
    Fixture { ctx, creds, list }
}

/// Decrypts the running tally with the election's secret key (the tellers' joint decryption,
/// in one step) and solves the counts.
fn decrypt(f: &Fixture, t: &RunningTally, ballots: u64) -> Counts {
    let x = Scalar::from(SECRET);
    let points: Vec<RistrettoPoint> = t
        .finish()
        .flatten()
        .iter()
        .map(|c| c.b.point() - x * c.a.point())
        .collect();
    counts_from_points(&f.ctx.manifest, &points, ballots).unwrap()
}

/// A choice for every contest of the fixture, from random picks.
fn choice() -> impl Strategy<Value = Vec<Vec<usize>>> {
    // One contest per project, options yes/no/abstain, one pick each.
    (0usize..3, 0usize..3, 0usize..3).prop_map(|(a, p, q)| vec![vec![a], vec![p], vec![q]])
}

fn selection(f: &Fixture, chosen: &[Vec<usize>]) -> Option<Selection> {
    Selection::from_chosen(&f.ctx.manifest, chosen).ok()
}

fn build(f: &Fixture, voter: usize, sel: &Selection, seed: u64) -> Ballot {
    use rand::SeedableRng;
    let mut rng = chacha20::ChaCha20Rng::seed_from_u64(seed);
    Ballot::build(&f.ctx, &f.creds[voter], sel, &mut rng)
        .unwrap()
        .0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    /// The homomorphic tally of accepted ballots decrypts to the sum of their choices, and one
    /// more ballot changes it by exactly its own choice vector.
    #[test]
    fn the_tally_is_the_sum_of_the_accepted_ballots_choices(
        choices in proptest::collection::vec(choice(), 1..4),
        extra in choice(),
        seed in any::<u64>(),
    ) {
        let f = fixture();
        let sels: Vec<Selection> = choices.iter().filter_map(|c| selection(&f, c)).collect();
        prop_assume!(!sels.is_empty());
        let extra = selection(&f, &extra);
        prop_assume!(extra.is_some());
        let extra = extra.unwrap();
        let mut tally = RunningTally::new(&f.ctx.manifest);
        let mut expected: Vec<Vec<u64>> =
            f.ctx.manifest.contests.iter().map(|c| vec![0; c.options.len()]).collect();
        for (i, sel) in sels.iter().enumerate() {
            let b = build(&f, i, sel, seed.wrapping_add(i as u64));
            let verified = b.verify(&f.ctx, &f.list).unwrap();
            tally.add(verified.ballot());
            for (e, s) in expected.iter_mut().zip(&sel.0) {
                for (e, s) in e.iter_mut().zip(s) {
                    *e += u64::from(*s);
                }
            }
        }
        let before = decrypt(&f, &tally, VOTERS as u64);
        prop_assert_eq!(&before, &expected);

        let b = build(&f, VOTERS - 1, &extra, seed ^ 0xabcdef);
        tally.add(b.verify(&f.ctx, &f.list).unwrap().ballot());
        let after = decrypt(&f, &tally, VOTERS as u64);
        for ((a, b), s) in after.iter().zip(&before).zip(&extra.0) {
            for ((a, b), s) in a.iter().zip(b).zip(s) {
                prop_assert_eq!(*a, *b + u64::from(*s));
            }
        }
    }

    /// A byte flip anywhere in a valid ballot's JSON is refused: it does not decode, or it does
    /// not verify. (Signature, credential, every ciphertext and proof are covered by the
    /// signature and the proofs; the field names by `deny_unknown_fields`.)
    #[test]
    fn no_byte_flip_of_a_valid_ballot_is_accepted(
        c in choice(),
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
        seed in any::<u64>(),
    ) {
        let f = fixture();
        let sel = selection(&f, &c);
        prop_assume!(sel.is_some());
        let b = build(&f, 0, &sel.unwrap(), seed);
        let mut json = serde_json::to_vec(&b).unwrap();
        let i = at.index(json.len());
        json[i] ^= 1 << bit;
        if let Ok(m) = serde_json::from_slice::<Ballot>(&json) {
            // A flip that decodes to the very same ballot (none is known) would be harmless.
            if m != b {
                prop_assert!(m.verify(&f.ctx, &f.list).is_err(), "a flipped ballot verified (byte {})", i);
            }
        }
    }

    /// Field mutations of the decoded ballot: another election, a ciphertext swapped between
    /// options, a contest dropped, a selection dropped, another voter's credential. All fail.
    #[test]
    fn no_field_mutation_of_a_valid_ballot_is_accepted(
        c in choice(),
        kind in 0usize..5,
        seed in any::<u64>(),
    ) {
        let f = fixture();
        let sel = selection(&f, &c);
        prop_assume!(sel.is_some());
        let mut b = build(&f, 0, &sel.unwrap(), seed);
        match kind {
            0 => b.election = Bytes([8; 32]),
            1 => {
                let s = &mut b.contests[0].selections;
                let t = s[0].ciphertext;
                s[0].ciphertext = s[1].ciphertext;
                s[1].ciphertext = t;
                prop_assume!(s[0].ciphertext != s[1].ciphertext);
            }
            2 => { b.contests.pop(); }
            3 => { b.contests[0].selections.pop(); }
            _ => b.credential = f.creds[1].public(),
        }
        prop_assert!(b.verify(&f.ctx, &f.list).is_err());
    }
}
