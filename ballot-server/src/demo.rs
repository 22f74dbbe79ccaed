//! The demo election that `piaojue serve --demo` prepares: "choose up to 10 of 13 projects",
//! 5 tellers of whom any 3 decrypt, 250 deputies, voting open.
//!
//! The demo plays the roles that are not the server's, each on the server's machine and only
//! for the demo: five tellers (their key shares and signing keys are handed to the caller's
//! [`SaveTeller`]: `piaojue serve --demo` writes them as passphrase-encrypted key files
//! `<data-dir>/demo/teller-N.age`; [`setup`] alone writes plain `teller-N.json`) and the
//! registrar (the deputies' secret credentials go to `<data-dir>/demo/credentials.txt`, one per
//! line; the server receives only public keys). In a real election each teller and the
//! registrar work on their own machines.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use piaojue_crypto::credential::Credential;
use piaojue_crypto::dkg::TellerKey;
use piaojue_crypto::dkg::party::Teller;
use piaojue_crypto::encoding::Bytes;
use piaojue_crypto::manifest::{Manifest, TellerParams};
use piaojue_crypto::record::ceremony_params;
use piaojue_crypto::samples;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::elections::CeremonyMessage;
use crate::error::ApiError;
use crate::state::{AppState, ElectionState};

/// The demo election's id.
pub const DEMO_ID: &str = "demo-2027";

/// What a demo teller keeps in the plain files of [`setup`] (this is a demo).
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct DemoTeller {
    /// Teller index.
    pub index: u32,
    /// ed25519 signing key seed, hex.
    pub signing_key: String,
    /// Key share `xⱼ`, hex.
    pub share: String,
}

/// Where the demo's files are.
#[derive(Debug)]
pub struct DemoInfo {
    /// The election id.
    pub election_id: String,
    /// Folder of the teller files and credentials.
    pub dir: PathBuf,
    /// Whether it was made now (false: it existed).
    pub created: bool,
}

/// The English names of the sample projects' departments: an English page is wholly English
/// (issue 16 item 12). The samples themselves keep them blank, as the spec's vectors were made.
const DEPARTMENTS_EN: [(&str, &str); 12] = [
    (
        "县住建局",
        "County Housing and Urban-Rural Development Bureau",
    ),
    ("县水利局", "County Water Resources Bureau"),
    ("县交通运输局", "County Transport Bureau"),
    ("县教育局", "County Education Bureau"),
    ("县民政局", "County Civil Affairs Bureau"),
    ("县商务局", "County Commerce Bureau"),
    ("县城管局", "County Urban Management Bureau"),
    ("县卫健局", "County Health Commission"),
    (
        "县文广旅体局",
        "County Bureau of Culture, Broadcasting, Tourism and Sports",
    ),
    ("县公安局", "County Public Security Bureau"),
    ("县残联", "County Disabled Persons' Federation"),
    (
        "县生态环境分局",
        "County Ecology and Environment Branch Bureau",
    ),
];

/// The demo manifest.
pub fn manifest(deputies: u32) -> Manifest {
    let mut m = samples::up_to_k_of_n(DEMO_ID, 13, 10, TellerParams { n: 5, t: 3 });
    m.deputies = deputies;
    for project in m
        .contests
        .iter_mut()
        .flat_map(|c| c.options.iter_mut())
        .filter_map(|o| o.project.as_mut())
    {
        if let Some((_, en)) = DEPARTMENTS_EN
            .iter()
            .find(|(zh, _)| *zh == project.department.zh)
        {
            project.department.en = (*en).to_string();
        }
    }
    m
}

fn io(e: std::io::Error) -> ApiError {
    ApiError::Internal(format!("demo files: {e}"))
}

/// Saves one demo teller's secrets after the ceremony: its key and signing key, and the demo
/// folder to write into. Answers an error message on failure.
pub type SaveTeller = dyn Fn(&Path, &TellerKey, &SigningKey) -> Result<(), String> + Send + Sync;

/// Writes a teller's secrets as plain JSON `teller-N.json` ([`DemoTeller`]).
pub fn save_plain(dir: &Path, key: &TellerKey, signing: &SigningKey) -> Result<(), String> {
    let file = DemoTeller {
        index: key.index,
        signing_key: hex::encode(signing.to_bytes()),
        share: hex::encode(*key.share.to_bytes()),
    };
    let json = zeroize::Zeroizing::new(serde_json::to_vec_pretty(&file).expect("serializes"));
    std::fs::write(dir.join(format!("teller-{}.json", key.index)), &*json)
        .map_err(|e| e.to_string())
}

/// Prepares the demo election (if it does not exist yet) up to "open", with plain teller
/// files ([`save_plain`]).
pub async fn setup(
    state: &AppState,
    data_dir: &Path,
    deputies: usize,
) -> Result<DemoInfo, ApiError> {
    setup_with(state, data_dir, deputies, &save_plain).await
}

/// Prepares the demo election (if it does not exist yet) up to "open"; `save` keeps each
/// teller's secrets.
pub async fn setup_with(
    state: &AppState,
    data_dir: &Path,
    deputies: usize,
    save: &SaveTeller,
) -> Result<DemoInfo, ApiError> {
    let dir = data_dir.join("demo");
    let info = DemoInfo {
        election_id: DEMO_ID.into(),
        dir: dir.clone(),
        created: false,
    };
    match state.elections.state(&state.db, DEMO_ID).await {
        Ok(ElectionState::Draft) | Err(ApiError::NotFound(_)) => {}
        Ok(_) => return Ok(info),
        Err(e) => return Err(e),
    }
    std::fs::create_dir_all(&dir).map_err(io)?;
    let (db, board, el) = (&state.db, &*state.board, &*state.elections);
    let count = u32::try_from(deputies)
        .ok()
        .filter(|d| (1..=piaojue_crypto::manifest::MAX_DEPUTIES).contains(d))
        .ok_or_else(|| {
            ApiError::BadRequest(format!("the demo has 1 to 100000 deputies, not {deputies}"))
        })?;
    let mut manifest = manifest(count);
    manifest.board = board.params(DEMO_ID);
    manifest.witnesses = board.config().witnesses.clone();
    if el.state(db, DEMO_ID).await.is_err() {
        el.create(board, manifest.clone(), None).await?;
    }
    let mut rng = rand::rng();

    // Five tellers run the key ceremony through the lifecycle, as they would over HTTP.
    let params = ceremony_params(&manifest);
    let signing: Vec<SigningKey> = (0..manifest.tellers.n)
        .map(|_| SigningKey::generate(&mut rng))
        .collect();
    el.start_ceremony(
        db,
        board,
        DEMO_ID,
        signing
            .iter()
            .map(|k| Bytes(k.verifying_key().to_bytes()))
            .collect(),
    )
    .await?;
    let fail = |e: piaojue_crypto::dkg::CeremonyError| ApiError::Internal(e.to_string());
    let mut s0 = Vec::new();
    for (i, k) in signing.iter().enumerate() {
        let (s, a) = Teller::new(params, i as u32 + 1, k.clone(), &mut rng).map_err(fail)?;
        el.post_ceremony_message(db, board, DEMO_ID, CeremonyMessage::Announcement(a))
            .await?;
        s0.push(s);
    }
    let (_, t) = el.ceremony(board, DEMO_ID).await?;
    let mut s1 = Vec::new();
    for s in s0 {
        let (s, c) = s.commit(&t.announcements, &mut rng).map_err(fail)?;
        el.post_ceremony_message(db, board, DEMO_ID, CeremonyMessage::Commitment(c))
            .await?;
        s1.push(s);
    }
    let (_, t) = el.ceremony(board, DEMO_ID).await?;
    let mut s2 = Vec::new();
    for s in s1 {
        let (s, r) = s.reveal(&t.commitments).map_err(fail)?;
        el.post_ceremony_message(db, board, DEMO_ID, CeremonyMessage::Reveal(r))
            .await?;
        s2.push(s);
    }
    let (_, t) = el.ceremony(board, DEMO_ID).await?;
    let mut s3 = Vec::new();
    for s in s2 {
        let (s, c) = s.check_shares(&t.reveals, &mut rng).map_err(fail)?;
        el.post_ceremony_message(db, board, DEMO_ID, CeremonyMessage::ShareCheck(c))
            .await?;
        s3.push(s);
    }
    let (_, t) = el.ceremony(board, DEMO_ID).await?;
    for (s, k) in s3.into_iter().zip(&signing) {
        let key = s.finish(&t.checks).map_err(fail)?;
        save(&dir, &key, k).map_err(|e| ApiError::Internal(format!("demo teller files: {e}")))?;
    }

    // The registrar makes the credentials; the board gets the public keys only.
    let creds: Vec<Credential> = (0..deputies)
        .map(|_| Credential::generate(&mut rng))
        .collect();
    let lines: zeroize::Zeroizing<String> = zeroize::Zeroizing::new(
        creds
            .iter()
            .map(|c| format!("{}\n", hex::encode(*c.seed())))
            .collect(),
    );
    // Secret: readable by its owner only, like every other secret file of the server.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(dir.join("credentials.txt"))
        .and_then(|mut f| std::io::Write::write_all(&mut f, lines.as_bytes()))
        .map_err(io)?;
    el.add_credentials(
        db,
        board,
        DEMO_ID,
        creds.iter().map(Credential::public).collect(),
    )
    .await?;
    el.set_roll(
        db,
        DEMO_ID,
        (1..=deputies).map(|i| format!("代表 {i:03}")).collect(),
    )
    .await?;
    // Teller 1, the chief scrutineer, announces that every deputy signed in.
    let (_, _, _, fingerprint) = el.current_fingerprint(db, board, DEMO_ID).await?;
    let attendance =
        piaojue_crypto::attendance::Attendance::sign(fingerprint.0, 1, count, &signing[0]);
    el.attendance(db, board, DEMO_ID, attendance).await?;
    el.open(db, board, DEMO_ID).await?;
    Ok(DemoInfo {
        created: true,
        ..info
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every demo project's department has an English name, so the English pages are wholly
    /// English; the manifest is still valid.
    #[test]
    fn demo_departments_have_english_names() {
        let m = manifest(250);
        m.validate().expect("a valid manifest");
        for o in &m.contests[0].options {
            let p = o.project.as_ref().expect("a project");
            assert!(
                !p.department.en.is_empty() && p.department.en.is_ascii(),
                "{}: {:?}",
                o.id,
                p.department
            );
        }
    }
}
