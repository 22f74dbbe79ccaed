//! The demo's downloads: `serve --demo` without `--downloads-dir` offers the program it runs
//! (`piaojue`, which has `piaojue verify`) and the independent verifier `piaojue-verify` when it
//! sits beside it (as after `cargo build`, or in the Debian package's /usr/bin), so that the
//! election page's 自行核验 box lists real files with their SHA-256 (`spec/api.md` §8.1).

use std::path::{Path, PathBuf};

use anyhow::Context;

/// The folder under the data folder that the demo serves.
pub const DIR: &str = "demo/downloads";

/// The verifier's program name, looked for beside the running program.
const VERIFIER: &str = "piaojue-verify";

/// Copies the running program (as `piaojue`) and `piaojue-verify` from beside it, when it is
/// there, into `<data_dir>/demo/downloads`, afresh at every start (a copy of an older build
/// would be listed with a digest that is not the one running); a verifier copied earlier but no
/// longer beside the program is removed. Answers the folder.
pub fn prepare(data_dir: &Path) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("the running program's path")?;
    let beside = exe
        .parent()
        .with_context(|| format!("the folder of {}", exe.display()))?;
    let dir = data_dir.join(DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = |stem: &str| format!("{stem}{}", std::env::consts::EXE_SUFFIX);
    copy_fresh(&exe, &dir, &name("piaojue"))?;
    let verifier = beside.join(name(VERIFIER));
    if verifier.is_file() {
        copy_fresh(&verifier, &dir, &name(VERIFIER))?;
    } else {
        match std::fs::remove_file(dir.join(name(VERIFIER))) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("removing the old {VERIFIER} copy"));
            }
            _ => {}
        }
    }
    Ok(dir)
}

/// Copies `from` to `dir/name` through a hidden temporary file (never listed), renamed into
/// place: the folder never holds a half-written file under a listed name.
fn copy_fresh(from: &Path, dir: &Path, name: &str) -> anyhow::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let _ = std::fs::remove_file(&tmp);
    std::fs::copy(from, &tmp)
        .with_context(|| format!("copying {} to {}", from.display(), tmp.display()))?;
    std::fs::rename(&tmp, dir.join(name))
        .with_context(|| format!("renaming {} into {}", tmp.display(), dir.display()))?;
    Ok(())
}
