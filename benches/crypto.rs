//! Criterion benchmarks of the crypto core (issue 2): build one "up to 10 of 13" ballot, verify
//! one, batch-verify 1,000, decode and verify batches of 1 to 32 as the server does, the key ceremony of 5 tellers, and decrypting a 13-option tally of
//! 1,000 ballots with 3 of 5 tellers.
//!
//! `cargo bench --bench crypto`; medians and the machine go in BENCHMARKS.md.

use std::hint::black_box;

use chacha20::ChaCha20Rng;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use piaojue::simulate::{key_ceremony, random_selection};
use piaojue_crypto::ballot::{Ballot, ElectionContext, verify_ballots};
use piaojue_crypto::credential::{Credential, CredentialList};
use piaojue_crypto::decryption::{BoardHeadRef, DecryptionShare};
use piaojue_crypto::encoding::Bytes;
use piaojue_crypto::manifest::{Manifest, TellerParams};
use piaojue_crypto::samples;
use piaojue_crypto::tally::{EncryptedTally, decrypt_counts};
use rand::SeedableRng;

struct Setup {
    manifest: Manifest,
    ctx: ElectionContext,
    creds: Vec<Credential>,
    list: CredentialList,
    ballots: Vec<Ballot>,
    teller_keys: Vec<piaojue_crypto::dkg::TellerKey>,
    teller_parties: Vec<[u8; 32]>,
    teller_signing: Vec<ed25519_dalek::SigningKey>,
}

fn setup(voters: usize) -> Setup {
    let mut rng = ChaCha20Rng::from_seed([9; 32]);
    let manifest = samples::up_to_k_of_n("bench", 13, 10, TellerParams { n: 5, t: 3 });
    let (_, output, signing, teller_keys) = key_ceremony(&manifest, &mut rng).unwrap();
    let creds: Vec<Credential> = (0..voters)
        .map(|_| Credential::generate(&mut rng))
        .collect();
    let list = CredentialList::new(creds.iter().map(Credential::public)).unwrap();
    let ctx = ElectionContext::new(manifest.clone(), Bytes([1; 32]), output.joint_key).unwrap();
    let ballots = creds
        .iter()
        .map(|c| {
            Ballot::build(&ctx, c, &random_selection(&manifest, &mut rng), &mut rng)
                .unwrap()
                .0
        })
        .collect();
    Setup {
        manifest,
        ctx,
        creds,
        list,
        ballots,
        teller_keys,
        teller_parties: signing
            .iter()
            .map(|s| s.verifying_key().to_bytes())
            .collect(),
        teller_signing: signing,
    }
}

fn benches(c: &mut Criterion) {
    let s = setup(1000);
    let mut rng = ChaCha20Rng::from_seed([3; 32]);
    let selection = random_selection(&s.manifest, &mut rng);

    c.bench_function("ballot/build up to 10 of 13", |b| {
        b.iter(|| Ballot::build(&s.ctx, &s.creds[0], &selection, &mut rng).unwrap())
    });
    c.bench_function("ballot/verify one up to 10 of 13", |b| {
        b.iter_batched(
            || s.ballots[0].clone(),
            |ballot| ballot.verify(&s.ctx, &s.list).unwrap(),
            BatchSize::SmallInput,
        )
    });
    let mut g = c.benchmark_group("ballot");
    g.sample_size(10);
    g.bench_function("batch-verify 1000 (one core)", |b| {
        b.iter_batched(
            || s.ballots.clone(),
            |ballots| {
                let out = verify_ballots(&s.ctx, &s.list, ballots);
                assert_eq!(out.verified.len(), 1000);
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();

    // What the server does with a batch of k ballots as they arrive (`casting.rs`): decode each
    // from its JSON body (every point decompressed once), then one `verify_ballots` call. Per
    // ballot, the fixed costs of a batch shrink as it grows.
    let bodies: Vec<Vec<u8>> = s.ballots[..32]
        .iter()
        .map(|b| serde_json::to_vec(b).unwrap())
        .collect();
    let mut g = c.benchmark_group("server batch");
    g.sample_size(20);
    for k in [1usize, 2, 4, 8, 32] {
        g.throughput(criterion::Throughput::Elements(k as u64));
        g.bench_function(format!("decode + verify {k} (one core)"), |b| {
            b.iter(|| {
                let ballots: Vec<Ballot> = bodies[..k]
                    .iter()
                    .map(|t| piaojue_crypto::json::from_slice(t).unwrap())
                    .collect();
                let out = verify_ballots(&s.ctx, &s.list, ballots);
                assert_eq!(out.verified.len(), k);
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("tellers");
    g.sample_size(10);
    g.bench_function("key ceremony n=5 t=3", |b| {
        b.iter(|| key_ceremony(black_box(&s.manifest), &mut rng).unwrap())
    });
    let verified: Vec<_> = verify_ballots(&s.ctx, &s.list, s.ballots.clone())
        .verified
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    let tally = EncryptedTally::aggregate(&s.manifest, &verified);
    let flat = tally.flatten();
    g.bench_function(
        "decrypt 13-option tally of 1000 ballots (3 of 5: shares, proofs, combine, dlog)",
        |b| {
            b.iter(|| {
                let shares: Vec<DecryptionShare> = [0usize, 2, 4]
                    .iter()
                    .map(|&j| {
                        let share = DecryptionShare::compute(
                            s.ctx.fingerprint.0,
                            &s.teller_signing[j],
                            &s.teller_keys[j],
                            BoardHeadRef::WITHOUT_BOARD,
                            &flat,
                            &mut rng,
                        );
                        share
                            .verify(
                                s.ctx.fingerprint.0,
                                s.teller_parties[j],
                                s.teller_keys[j].verification_key(),
                                &flat,
                            )
                            .unwrap();
                        share
                    })
                    .collect();
                decrypt_counts(&s.manifest, &tally, &shares, 1000).unwrap()
            })
        },
    );
    g.finish();
}

criterion_group!(crypto, benches);
criterion_main!(crypto);
