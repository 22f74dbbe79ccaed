//! `piaojue serve --config FILE` and `PIAOJUE_<OPTION>` (issue 17): the real binary with
//! `--check-config`, which prints the effective configuration and starts nothing.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::TempDir;

/// `piaojue serve ARGS` in an environment holding only `env` (no stray `PIAOJUE_*` or
/// `DATABASE_URL` of the machine running the tests).
fn serve(args: &[&str], env: &[(&str, &str)], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_piaojue"))
        .arg("serve")
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(cwd)
        .output()
        .expect("run piaojue serve")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The line of the effective configuration for `key`.
fn line<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{key} = ")) || l.starts_with(&format!("# {key} ")))
        .unwrap_or_else(|| panic!("no line for {key} in:\n{out}"))
}

#[test]
fn command_line_beats_environment_beats_file_beats_default_and_secrets_are_masked() {
    let dir = TempDir::new("piaojue-config");
    let data = dir.path().join("data");
    let file = dir.path().join("piaojue.toml");
    std::fs::write(
        &file,
        format!(
            "# the county's server\n\
             database-url = \"postgres://piaojue:file-secret@db.example/piaojue\"\n\
             listen = \"0.0.0.0:9000\"\n\
             rate-limit = 7\n\
             max-in-flight = 99\n\
             rate-limit-loopback = true\n\
             data-dir = \"{}\"\n",
            data.display()
        ),
    )
    .unwrap();
    let o = serve(
        &[
            "--config",
            file.to_str().unwrap(),
            "--check-config",
            "--listen",
            "127.0.0.1:7000",
        ],
        &[
            ("PIAOJUE_RATE_LIMIT", "8"),
            (
                "PIAOJUE_DATABASE_URL",
                "postgres://piaojue:env-secret@db.example/piaojue",
            ),
        ],
        dir.path(),
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(line(&out, "listen").contains("\"127.0.0.1:7000\""), "{out}");
    assert!(line(&out, "listen").ends_with("# command line"), "{out}");
    assert!(
        line(&out, "rate-limit").starts_with("rate-limit = 8 "),
        "{out}"
    );
    assert!(
        line(&out, "rate-limit").ends_with("# env PIAOJUE_RATE_LIMIT"),
        "{out}"
    );
    assert!(
        line(&out, "max-in-flight").starts_with("max-in-flight = 99 "),
        "{out}"
    );
    assert!(line(&out, "max-in-flight").ends_with("# file"), "{out}");
    assert!(
        line(&out, "rate-limit-loopback").contains("= true"),
        "{out}"
    );
    assert!(line(&out, "header-timeout").ends_with("# default"), "{out}");
    assert!(line(&out, "board-key-file").contains("(not set)"), "{out}");
    // The database URL from the environment, its password masked; neither password shown.
    assert!(
        line(&out, "database-url").contains("postgres://piaojue:****@db.example/piaojue"),
        "{out}"
    );
    assert!(
        !out.contains("secret") && !err.contains("secret"),
        "{out}\n{err}"
    );
    assert!(err.contains("configuration is valid"), "{err}");
    // Nothing was started or created.
    assert!(!data.exists(), "--check-config created the data folder");

    // The old DATABASE_URL still works, below PIAOJUE_DATABASE_URL and above the file.
    let o = serve(
        &["--config", file.to_str().unwrap(), "--check-config"],
        &[("DATABASE_URL", "sqlite:old.db")],
        dir.path(),
    );
    let (out, _) = text(&o);
    assert!(
        line(&out, "database-url").contains("\"sqlite:old.db\""),
        "{out}"
    );
    assert!(
        line(&out, "database-url").ends_with("# env DATABASE_URL"),
        "{out}"
    );
    // The file's path from the environment too.
    let o = serve(
        &["--check-config"],
        &[("PIAOJUE_CONFIG", file.to_str().unwrap())],
        dir.path(),
    );
    let (out, _) = text(&o);
    assert!(line(&out, "listen").contains("\"0.0.0.0:9000\""), "{out}");
}

#[test]
fn an_unknown_key_or_a_wrong_value_stops_before_anything_starts() {
    let dir = TempDir::new("piaojue-config");
    let file = dir.path().join("piaojue.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:0\"\nmax-conections = 10\n").unwrap();
    // Not even --check-config: the server must not start on a file it misread.
    let o = serve(&["--config", file.to_str().unwrap()], &[], dir.path());
    let (out, err) = text(&o);
    assert!(!o.status.success(), "{out}\n{err}");
    assert!(err.contains("unknown key `max-conections`"), "{err}");
    assert!(err.contains("did you mean `max-connections`"), "{err}");
    assert!(err.contains(file.to_str().unwrap()), "{err}");
    assert!(!dir.path().join("piaojue-data").exists());

    std::fs::write(&file, "max-connections = \"many\"\n").unwrap();
    let o = serve(
        &["--config", file.to_str().unwrap(), "--check-config"],
        &[],
        dir.path(),
    );
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(err.contains("key `max-connections`"), "{err}");

    let o = serve(
        &["--check-config"],
        &[("PIAOJUE_LISTEN", "nowhere")],
        dir.path(),
    );
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("PIAOJUE_LISTEN") && err.contains("key `listen`"),
        "{err}"
    );
}

#[test]
fn check_config_reads_the_files_it_names_and_says_what_is_wrong() {
    let dir = TempDir::new("piaojue-config");
    let key = dir.path().join("board-key");
    std::fs::write(&key, "not a key\n").unwrap();
    let o = serve(
        &[
            "--check-config",
            "--board-key-file",
            key.to_str().unwrap(),
            "--board-name",
            "has space",
        ],
        &[],
        dir.path(),
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(err.contains("not valid"), "{err}");
    assert!(err.contains("does not hold a board key"), "{err}");
    assert!(err.contains("board-name"), "{err}");
    // The effective configuration is printed all the same.
    assert!(
        line(&out, "board-name").ends_with("# command line"),
        "{out}"
    );
    // A good key file passes.
    std::fs::write(&key, format!("{}\n", "11".repeat(32))).unwrap();
    let o = serve(
        &["--check-config", "--board-key-file", key.to_str().unwrap()],
        &[],
        dir.path(),
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    // Retired keys (after a rotation): each must hold a key and be named by its public key.
    let retired = dir.path().join("retired-board-keys");
    std::fs::create_dir(&retired).unwrap();
    let old = piaojue_crypto::board::head::BoardKey::from_seed(&[0x22; 32]);
    let named = old.public().to_base64();
    std::fs::write(retired.join(&named), format!("{}\n", "22".repeat(32))).unwrap();
    let check = || {
        let o = serve(
            &["--check-config", "--board-key-file", key.to_str().unwrap()],
            &[],
            dir.path(),
        );
        let (out, err) = text(&o);
        (o.status.code(), format!("{out}\n{err}"))
    };
    let (code, said) = check();
    assert_eq!(code, Some(0), "{said}");
    // A retired key under another key's name, and a file that is no key: both named.
    std::fs::rename(retired.join(&named), retired.join(old_name(&named))).unwrap();
    std::fs::write(retired.join("junk"), "not a key\n").unwrap();
    let (code, said) = check();
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains(&format!(
            "the file holds the key {named}, not the key it is named by"
        )),
        "{said}"
    );
    assert!(said.contains("junk"), "{said}");
}

/// Another valid key's base64url name than `named`.
fn old_name(named: &str) -> String {
    let other = piaojue_crypto::board::head::BoardKey::from_seed(&[0x33; 32]).public();
    assert_ne!(other.to_base64(), named);
    other.to_base64()
}

#[test]
fn the_packaged_example_names_every_option_at_its_default() {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/packaging/piaojue.toml"
    ))
    .unwrap();
    // Its settings uncommented (but those shown as examples of unset options).
    let settings: String = example
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| l.contains(" = ") && !l.contains("not set by default"))
        .filter(|l| {
            l.split(' ')
                .next()
                .is_some_and(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let dir = TempDir::new("piaojue-config");
    let file = dir.path().join("piaojue.toml");
    std::fs::write(&file, &settings).unwrap();
    let o = serve(
        &["--config", file.to_str().unwrap(), "--check-config"],
        &[],
        dir.path(),
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{settings}\n{out}\n{err}");
    let defaults = serve(&["--check-config"], &[], dir.path());
    let (defaults, _) = text(&defaults);
    for l in defaults.lines() {
        let key = l.trim_start_matches("# ").split(' ').next().unwrap();
        assert!(
            example.contains(&format!("# {key} = ")),
            "the example lacks {key}"
        );
        if !l.starts_with('#') {
            // The same value as the default, now from the file.
            let shown = l.split("  #").next().unwrap().trim_end();
            assert!(
                line(&out, key).starts_with(shown),
                "{key}: {l} / {}",
                line(&out, key)
            );
            assert!(line(&out, key).ends_with("# file"), "{}", line(&out, key));
        }
    }
}
