//! `piaojue man --out DIR` (hidden): the manual pages, made from the command line's own
//! definition with clap_mangen: `piaojue.1`, one page per subcommand (`piaojue-serve.1`, …) and
//! `piaojue-verify.1`. The Debian package runs it at build time (`packaging/build-deb`).

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Writes the pages of `cmd` and its subcommands, and of `piaojue-verify`, into `out` (created
/// if missing); answers the files written.
pub fn write_pages(cmd: clap::Command, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    // The verifier's own description (its arguments carry none: verifier/src/cli.rs).
    let verify = <piaojue_verifier::cli::VerifyArgs as clap::Args>::augment_args(
        clap::Command::new("piaojue-verify").version(env!("CARGO_PKG_VERSION")),
    )
    .about(piaojue_verifier::cli::ABOUT);
    // `piaojue verify` is `piaojue-verify`: the standalone's pages, written last, are the ones
    // named piaojue-verify*.1.
    for c in [cmd, verify] {
        clap_mangen::generate_to(c, out)
            .with_context(|| format!("writing into {}", out.display()))?;
    }
    let mut pages = std::fs::read_dir(out)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()?;
    pages.retain(|p| p.extension().is_some_and(|x| x == "1"));
    pages.sort();
    Ok(pages)
}
