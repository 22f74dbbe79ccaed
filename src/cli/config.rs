//! The settings of a subcommand from a configuration file and the environment as well as the
//! command line (`piaojue serve --config FILE`, `PIAOJUE_<OPTION>`), for a server installed as
//! a service.
//!
//! Generic over the subcommand's clap [`Command`]: every option with a long name is settable
//! in the file (key = the long name, `listen = "0.0.0.0:8080"`, a list for a repeated option)
//! and in the environment (`PIAOJUE_` + the long name in upper case with `_` for `-`; a
//! repeated option's values separated by white space). An option added later is covered with
//! nothing more to do. Precedence: command line > environment > file > default.
//!
//! Every value from the file or the environment goes through the option's own value parser
//! first (an error names the key and where it came from); then one command line is made of
//! all of them and parsed by clap as if typed, so that the options' relations (`requires`,
//! conflicts) hold whichever source a value came from.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};

/// The option naming the configuration file (`--config`, `PIAOJUE_CONFIG`); not itself a key
/// of the file.
pub const CONFIG: &str = "config";
/// The option that prints the effective configuration; not a key of the file.
pub const CHECK_CONFIG: &str = "check-config";
/// The prefix of the environment variables.
pub const ENV_PREFIX: &str = "PIAOJUE_";

/// Where an option's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Its default (or unset).
    Default,
    /// The configuration file.
    File,
    /// This environment variable.
    Env(String),
    /// The command line.
    CommandLine,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File => f.write_str("file"),
            Source::Env(name) => write!(f, "env {name}"),
            Source::CommandLine => f.write_str("command line"),
        }
    }
}

/// One option's effective value.
#[derive(Debug, Clone)]
pub struct Setting {
    /// The long name (the file's key).
    pub name: String,
    /// Its values (none: unset; a flag: `true` or `false`).
    pub values: Vec<String>,
    /// Whether it is a flag (a boolean).
    pub flag: bool,
    /// Whether it takes several values (a list in the file).
    pub list: bool,
    /// Where the value came from.
    pub source: Source,
}

impl Setting {
    /// Whether the value is a secret to mask wholly when shown (a token, a password).
    pub fn is_secret(&self) -> bool {
        ["-token", "-password", "-secret", "-passphrase"]
            .iter()
            .any(|s| self.name.ends_with(s) || self.name == s[1..])
    }

    /// The value as shown by `--check-config`: TOML, secrets masked.
    pub fn shown(&self) -> String {
        let one = |v: &str| -> String {
            if self.is_secret() && !self.flag {
                "\"********\"".into()
            } else if self.flag
                || (!v.is_empty()
                    && toml_edit::Document::parse(format!("x = {v}")).is_ok_and(|d| {
                        d.as_table()
                            .get("x")
                            .is_some_and(|i| i.is_integer() || i.is_float())
                    }))
            {
                v.to_string()
            } else {
                quote(&mask_url_password(v))
            }
        };
        if self.list {
            format!(
                "[{}]",
                self.values
                    .iter()
                    .map(|v| one(v))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            self.values.first().map_or_else(String::new, |v| one(v))
        }
    }
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` with the password of a URL's user information (`scheme://user:PASSWORD@host`) and of a
/// `password=` query parameter replaced by `****`.
pub fn mask_url_password(s: &str) -> String {
    let mut out = s.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest = scheme_end + 3;
        let authority_end = out[rest..]
            .find(['/', '?', '#'])
            .map_or(out.len(), |i| rest + i);
        if let Some(at) = out[rest..authority_end].rfind('@').map(|i| rest + i)
            && let Some(colon) = out[rest..at].find(':').map(|i| rest + i)
        {
            out.replace_range(colon + 1..at, "****");
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=****"),
                _ => p.to_string(),
            })
            .collect::<Vec<_>>()
            .join("&");
        out = format!("{head}{query}");
    }
    out
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("the configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not TOML.
    #[error("the configuration file {path} is not valid TOML: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message (with the line).
        message: String,
    },
    /// A key of the file is no option.
    #[error("the configuration file {path}: unknown key `{key}`{hint}")]
    UnknownKey {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
        /// `; did you mean …?` or nothing.
        hint: String,
    },
    /// A value is of the wrong type or refused by the option's parser.
    #[error("{origin}: key `{key}`: {message}")]
    Value {
        /// The file or the environment variable.
        origin: String,
        /// The option.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The options together are refused (as on the command line).
    #[error(transparent)]
    Clap(#[from] clap::Error),
}

/// `cmd` with the subcommand `sub`'s options made optional and free of requirements, for the
/// first parse of a command line that the file or the environment completes; the second parse
/// ([`resolve`]) checks them on the completed one.
pub fn relaxed(cmd: Command, sub: &str) -> Command {
    cmd.mut_subcommand(sub, |s| {
        let ids: Vec<_> = s.get_arguments().map(|a| a.get_id().clone()).collect();
        ids.into_iter().fold(s, |s, id| {
            s.mut_arg(id, |a| {
                a.required(false).requires(clap::builder::Resettable::Reset)
            })
        })
    })
}

/// The options of `cmd` that a file or the environment may set: those with a long name, but
/// for help, version and the configuration's own options.
fn settable(cmd: &Command) -> impl Iterator<Item = (&Arg, &str)> {
    cmd.get_arguments().filter_map(|a| {
        let long = a.get_long()?;
        let skip = matches!(
            a.get_action(),
            ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong | ArgAction::Version
        ) || long == CONFIG
            || long == CHECK_CONFIG;
        (!skip).then_some((a, long))
    })
}

/// The environment variable of an option: `PIAOJUE_DATABASE_URL` for `database-url`.
pub fn env_name(long: &str) -> String {
    format!("{ENV_PREFIX}{}", long.to_uppercase().replace('-', "_"))
}

/// A value from the file, as the strings a command line would carry.
enum FileValue {
    Flag(bool),
    Values(Vec<String>),
}

fn scalar(v: &toml_edit::Value) -> Option<String> {
    use toml_edit::Value;
    match v {
        Value::String(s) => Some(s.value().clone()),
        Value::Integer(i) => Some(i.value().to_string()),
        Value::Float(f) => Some(f.value().to_string()),
        Value::Boolean(b) => Some(b.value().to_string()),
        _ => None,
    }
}

fn is_flag(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse)
}

fn is_list(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::Append)
}

/// Reads the configuration file: its keys checked against the options of `cmd`.
fn read_file(cmd: &Command, path: &Path) -> Result<BTreeMap<String, FileValue>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let doc = toml_edit::Document::parse(text).map_err(|e| ConfigError::Syntax {
        path: path.to_path_buf(),
        message: e.to_string().trim().to_string(),
    })?;
    let options: BTreeMap<&str, &Arg> = settable(cmd).map(|(a, l)| (l, a)).collect();
    let mut out = BTreeMap::new();
    for (key, item) in doc.as_table().iter() {
        let Some(arg) = options.get(key) else {
            let best = options
                .keys()
                .map(|k| (strsim::jaro_winkler(key, k), *k))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .filter(|(score, _)| *score > 0.8);
            return Err(ConfigError::UnknownKey {
                path: path.to_path_buf(),
                key: key.to_string(),
                hint: best.map_or_else(String::new, |(_, k)| format!("; did you mean `{k}`?")),
            });
        };
        let wrong = |message: String| ConfigError::Value {
            origin: path.display().to_string(),
            key: key.to_string(),
            message,
        };
        let value = item
            .as_value()
            .ok_or_else(|| wrong("expected a value, not a table".into()))?;
        let parsed = if is_flag(arg) {
            FileValue::Flag(
                value
                    .as_bool()
                    .ok_or_else(|| wrong("expected true or false".into()))?,
            )
        } else if let Some(array) = value.as_array() {
            if !is_list(arg) {
                return Err(wrong("expected one value, not a list".into()));
            }
            FileValue::Values(
                array
                    .iter()
                    .map(|v| {
                        scalar(v)
                            .ok_or_else(|| wrong("expected a list of strings or numbers".into()))
                    })
                    .collect::<Result<_, _>>()?,
            )
        } else {
            FileValue::Values(vec![
                scalar(value).ok_or_else(|| wrong("expected a string or a number".into()))?,
            ])
        };
        out.insert(key.to_string(), parsed);
    }
    Ok(out)
}

/// Parses a flag's value from the environment.
fn env_flag(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Checks `values` with the option's own value parser; the error names the key and `origin`.
fn check_values(arg: &Arg, long: &str, values: &[String], origin: &str) -> Result<(), ConfigError> {
    let alone = arg
        .clone()
        .required(false)
        .requires(clap::builder::Resettable::Reset);
    for v in values {
        let probe = Command::new("probe")
            .no_binary_name(true)
            .arg(alone.clone())
            .try_get_matches_from([format!("--{long}={v}")]);
        if let Err(e) = probe {
            let text = e.render().to_string();
            let message = text
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
                .to_string();
            return Err(ConfigError::Value {
                origin: origin.to_string(),
                key: long.to_string(),
                message,
            });
        }
    }
    Ok(())
}

/// A subcommand's options, layered, and where each came from.
#[derive(Debug)]
pub struct Layered {
    /// The options parsed from the completed command line.
    pub matches: ArgMatches,
    /// Each settable option's effective value, in the command's order.
    pub settings: Vec<Setting>,
    /// The configuration file read, if any.
    pub file: Option<PathBuf>,
}

/// Layers the subcommand's options: `matches` (the [`relaxed`] parse of the command line) over
/// the environment (`env`) over the configuration file of `--config` over the defaults, and
/// parses them with the subcommand's command `cmd`.
pub fn resolve(
    cmd: &Command,
    matches: &ArgMatches,
    env: impl Fn(&str) -> Option<OsString>,
) -> Result<Layered, ConfigError> {
    let env = |name: &str| {
        env(name)
            .filter(|v| !v.is_empty())
            .map(|v| v.to_string_lossy().into_owned())
    };
    let file_path = matches
        .try_get_raw(CONFIG)
        .ok()
        .flatten()
        .and_then(|mut v| v.next())
        .map(PathBuf::from);
    let file = match &file_path {
        Some(p) => read_file(cmd, p)?,
        None => BTreeMap::new(),
    };
    let name = cmd.get_name().to_string();
    let mut argv: Vec<OsString> = vec![OsString::from(&name)];
    let mut settings = Vec::new();
    // The configuration's own options pass as they were.
    for meta in [CONFIG, CHECK_CONFIG] {
        if let Some(arg) = cmd.get_arguments().find(|a| a.get_long() == Some(meta))
            && matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine)
        {
            push_raw(&mut argv, arg, matches);
        }
    }
    for (arg, long) in settable(cmd) {
        let id = arg.get_id().as_str();
        let flag = is_flag(arg);
        let list = is_list(arg);
        let from_env = std::iter::once(env_name(long))
            .chain(arg.get_env().map(|e| e.to_string_lossy().into_owned()))
            .find_map(|n| env(&n).map(|v| (n, v)));
        let (source, values): (Source, Vec<String>) =
            if matches.value_source(id) == Some(ValueSource::CommandLine) {
                push_raw(&mut argv, arg, matches);
                let values = if flag {
                    vec![matches.get_flag(id).to_string()]
                } else {
                    raw_strings(matches, id)
                };
                settings.push(Setting {
                    name: long.to_string(),
                    values,
                    flag,
                    list,
                    source: Source::CommandLine,
                });
                continue;
            } else if let Some((var, v)) = from_env {
                let values = if flag {
                    let b = env_flag(&v).ok_or_else(|| ConfigError::Value {
                        origin: format!("environment variable {var}"),
                        key: long.to_string(),
                        message: format!("expected true or false, not {v:?}"),
                    })?;
                    vec![b.to_string()]
                } else if list {
                    v.split_whitespace().map(str::to_string).collect()
                } else {
                    vec![v]
                };
                (Source::Env(var), values)
            } else if let Some(v) = file.get(long) {
                let values = match v {
                    FileValue::Flag(b) => vec![b.to_string()],
                    FileValue::Values(v) => v.clone(),
                };
                (Source::File, values)
            } else {
                let values = if flag {
                    vec![matches!(arg.get_action(), ArgAction::SetFalse).to_string()]
                } else {
                    arg.get_default_values()
                        .iter()
                        .map(|v| v.to_string_lossy().into_owned())
                        .collect()
                };
                (Source::Default, values)
            };
        if source != Source::Default {
            let origin = match &source {
                Source::Env(var) => format!("environment variable {var}"),
                _ => file_path
                    .as_deref()
                    .unwrap_or(Path::new(""))
                    .display()
                    .to_string(),
            };
            if flag {
                let set = values[0] == "true";
                if set == matches!(arg.get_action(), ArgAction::SetTrue) {
                    argv.push(format!("--{long}").into());
                }
            } else {
                check_values(arg, long, &values, &origin)?;
                argv.extend(
                    values
                        .iter()
                        .map(|v| OsString::from(format!("--{long}={v}"))),
                );
            }
        }
        settings.push(Setting {
            name: long.to_string(),
            values,
            flag,
            list,
            source,
        });
    }
    // Positional arguments, if the command has any, pass as they were.
    let positional: Vec<&Arg> = cmd.get_arguments().filter(|a| a.is_positional()).collect();
    if !positional.is_empty() {
        argv.push("--".into());
        for arg in positional {
            argv.extend(raw(matches, arg.get_id().as_str()));
        }
    }
    let parsed = cmd
        .clone()
        .bin_name(format!("piaojue {name}"))
        .try_get_matches_from(argv)?;
    Ok(Layered {
        matches: parsed,
        settings,
        file: file_path,
    })
}

fn raw(matches: &ArgMatches, id: &str) -> Vec<OsString> {
    matches
        .try_get_raw(id)
        .ok()
        .flatten()
        .map(|v| v.map(OsStr::to_os_string).collect())
        .unwrap_or_default()
}

fn raw_strings(matches: &ArgMatches, id: &str) -> Vec<String> {
    raw(matches, id)
        .into_iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect()
}

/// Pushes an option as the command line gave it.
fn push_raw(argv: &mut Vec<OsString>, arg: &Arg, matches: &ArgMatches) {
    let Some(long) = arg.get_long() else { return };
    let id = arg.get_id().as_str();
    if is_flag(arg) {
        if matches.get_flag(id) == matches!(arg.get_action(), ArgAction::SetTrue) {
            argv.push(format!("--{long}").into());
        }
        return;
    }
    for v in raw(matches, id) {
        let mut a = OsString::from(format!("--{long}="));
        a.push(v);
        argv.push(a);
    }
}

impl Layered {
    /// The effective configuration as TOML, each option with its source; secrets masked.
    /// Unset options are shown commented out.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Some(f) = &self.file {
            out.push_str(&format!("# configuration file: {}\n", f.display()));
        }
        let width = self
            .settings
            .iter()
            .map(|s| s.name.len() + 3 + s.shown().len())
            .max()
            .unwrap_or(0);
        for s in &self.settings {
            let line = if s.values.is_empty() {
                format!("# {} (not set)", s.name)
            } else {
                format!("{} = {}", s.name, s.shown())
            };
            out.push_str(&format!("{line:<width$}  # {}\n", s.source));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Args, FromArgMatches};

    #[derive(Args, Debug)]
    struct Opts {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        check_config: bool,
        #[arg(long, env = "DATABASE_URL", default_value = "sqlite:x.db")]
        database_url: String,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        #[arg(long, default_value_t = 50.0)]
        rate_limit: f64,
        #[arg(long)]
        demo: bool,
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        #[arg(long, requires = "witnesses")]
        witness_quorum: Option<u32>,
        #[arg(long)]
        api_token: Option<String>,
    }

    fn cmd() -> Command {
        Opts::augment_args(Command::new("serve"))
    }

    fn write(text: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!(
            "piaojue-config-{:016x}.toml",
            rand::random::<u64>()
        ));
        std::fs::write(&p, text).unwrap();
        p
    }

    fn run(args: &[&str], env: &[(&str, &str)]) -> Result<(Opts, Layered), ConfigError> {
        let m = relaxed(Command::new("top").subcommand(cmd()), "serve").try_get_matches_from(
            std::iter::once("top")
                .chain(std::iter::once("serve"))
                .chain(args.iter().copied()),
        )?;
        let (_, sub) = m.subcommand().unwrap();
        let env: BTreeMap<String, OsString> = env
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        let l = resolve(&cmd(), sub, |k| env.get(k).cloned())?;
        Ok((Opts::from_arg_matches(&l.matches).unwrap(), l))
    }

    fn source(l: &Layered, name: &str) -> Source {
        l.settings
            .iter()
            .find(|s| s.name == name)
            .unwrap()
            .source
            .clone()
    }

    #[test]
    fn command_line_over_environment_over_file_over_default() {
        let f = write(
            "listen = \"0.0.0.0:9000\"\nrate-limit = 7\ndemo = true\ndatabase-url = \"sqlite:file.db\"\n",
        );
        let fs = f.to_str().unwrap();
        let (o, l) = run(
            &["--config", fs, "--listen", "127.0.0.1:1"],
            &[("PIAOJUE_RATE_LIMIT", "8.5"), ("PIAOJUE_DEMO", "false")],
        )
        .unwrap();
        assert_eq!(o.listen.port(), 1);
        assert_eq!(source(&l, "listen"), Source::CommandLine);
        assert_eq!(o.rate_limit, 8.5);
        assert_eq!(
            source(&l, "rate-limit"),
            Source::Env("PIAOJUE_RATE_LIMIT".into())
        );
        assert!(!o.demo, "the environment's false beats the file's true");
        assert_eq!(o.database_url, "sqlite:file.db");
        assert_eq!(source(&l, "database-url"), Source::File);
        assert_eq!(source(&l, "witness"), Source::Default);
        // Without the file: the defaults.
        let (o, l) = run(&[], &[]).unwrap();
        assert_eq!(o.rate_limit, 50.0);
        assert_eq!(o.listen.port(), 8080);
        assert!(l.settings.iter().all(|s| s.source == Source::Default));
        let _ = std::fs::remove_file(f);
    }

    #[test]
    fn the_old_database_url_variable_still_works_below_the_new_one() {
        let (o, l) = run(&[], &[("DATABASE_URL", "sqlite:old.db")]).unwrap();
        assert_eq!(o.database_url, "sqlite:old.db");
        assert_eq!(
            source(&l, "database-url"),
            Source::Env("DATABASE_URL".into())
        );
        let (o, _) = run(
            &[],
            &[
                ("DATABASE_URL", "sqlite:old.db"),
                ("PIAOJUE_DATABASE_URL", "sqlite:new.db"),
            ],
        )
        .unwrap();
        assert_eq!(o.database_url, "sqlite:new.db");
        let (o, _) = run(
            &["--database-url", "sqlite:cli.db"],
            &[("DATABASE_URL", "sqlite:old.db")],
        )
        .unwrap();
        assert_eq!(o.database_url, "sqlite:cli.db");
    }

    #[test]
    fn lists_from_the_file_and_the_environment_and_requires_across_sources() {
        let f = write("witness = [\"a@https://x\", \"b@https://y\"]\n");
        let fs = f.to_str().unwrap();
        // `--witness-quorum` requires `--witness`: satisfied by the file's list.
        let (o, _) = run(&["--config", fs, "--witness-quorum", "2"], &[]).unwrap();
        assert_eq!(o.witnesses, ["a@https://x", "b@https://y"]);
        assert_eq!(o.witness_quorum, Some(2));
        let (o, _) = run(
            &["--witness-quorum", "1"],
            &[("PIAOJUE_WITNESS", "c@https://z\n d@https://w")],
        )
        .unwrap();
        assert_eq!(o.witnesses, ["c@https://z", "d@https://w"]);
        // …and still refused when nothing gives a witness.
        let e = run(&["--witness-quorum", "1"], &[]).unwrap_err();
        assert!(matches!(e, ConfigError::Clap(_)), "{e}");
        let _ = std::fs::remove_file(f);
    }

    #[test]
    fn an_unknown_key_is_named_with_the_file_and_the_closest_option() {
        let f = write("databse-url = \"sqlite:x\"\n");
        let e = run(&["--config", f.to_str().unwrap()], &[]).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("unknown key `databse-url`"), "{msg}");
        assert!(msg.contains("did you mean `database-url`"), "{msg}");
        assert!(msg.contains(f.to_str().unwrap()), "{msg}");
        // The configuration's own options are no keys of the file.
        std::fs::write(&f, "config = \"other.toml\"\n").unwrap();
        let e = run(&["--config", f.to_str().unwrap()], &[]).unwrap_err();
        assert!(e.to_string().contains("unknown key `config`"), "{e}");
        let _ = std::fs::remove_file(f);
    }

    #[test]
    fn wrong_types_name_the_key_and_the_source() {
        for (text, needle) in [
            ("listen = 8080\n", "key `listen`"),
            ("listen = \"nowhere\"\n", "key `listen`"),
            ("demo = \"yes\"\n", "expected true or false"),
            ("listen = [\"127.0.0.1:1\"]\n", "not a list"),
            ("[listen]\nx = 1\n", "not a table"),
            ("rate-limit = \"fast\"\n", "key `rate-limit`"),
            ("listen = \n", "not valid TOML"),
        ] {
            let f = write(text);
            let e = run(&["--config", f.to_str().unwrap()], &[]).unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains(needle), "{text:?}: {msg}");
            let _ = std::fs::remove_file(f);
        }
        let e = run(&[], &[("PIAOJUE_LISTEN", "nowhere")]).unwrap_err();
        assert!(
            e.to_string()
                .contains("environment variable PIAOJUE_LISTEN: key `listen`"),
            "{e}"
        );
        let e = run(&[], &[("PIAOJUE_DEMO", "maybe")]).unwrap_err();
        assert!(e.to_string().contains("PIAOJUE_DEMO"), "{e}");
        let e = run(&["--config", "/nonexistent/piaojue.toml"], &[]).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/piaojue.toml"), "{e}");
    }

    #[test]
    fn the_effective_configuration_masks_secrets() {
        let (_, l) = run(
            &["--api-token", "s3cret-token"],
            &[(
                "PIAOJUE_DATABASE_URL",
                "postgres://piaojue:hunter2@db.local/p?sslmode=require&password=hunter3",
            )],
        )
        .unwrap();
        let text = l.render();
        assert!(
            !text.contains("hunter2") && !text.contains("hunter3"),
            "{text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
        assert!(
            text.contains("postgres://piaojue:****@db.local/p?sslmode=require&password=****"),
            "{text}"
        );
        assert!(text.contains("rate-limit = 50"), "{text}");
        assert!(text.contains("# witness-quorum (not set)"), "{text}");
        // What it prints is itself a valid configuration file.
        let f = write(&text);
        run(&["--config", f.to_str().unwrap()], &[]).unwrap();
        let _ = std::fs::remove_file(f);
    }

    #[test]
    fn every_option_of_serve_is_settable_in_the_file() {
        let serve = super::super::serve::ServeArgs::augment_args(Command::new("serve"));
        let names: Vec<_> = settable(&serve).map(|(_, l)| l.to_string()).collect();
        assert!(names.contains(&"database-url".to_string()));
        assert!(names.contains(&"witness".to_string()));
        assert!(!names.contains(&"config".to_string()));
        // Every option of serve takes a long name: none escapes the file.
        for a in serve.get_arguments() {
            assert!(a.get_long().is_some(), "{:?} has no long name", a.get_id());
        }
    }

    #[test]
    fn masking_leaves_other_values_alone() {
        assert_eq!(mask_url_password("sqlite:piaojue.db"), "sqlite:piaojue.db");
        assert_eq!(mask_url_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            mask_url_password("postgres://u:p@h/db"),
            "postgres://u:****@h/db"
        );
    }
}
