//! `lanyard.toml`: project settings. Unknown keys are errors (with their location), so
//! a typo never silently disables a check.

use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;

use crate::scan::secrets::shown;

use crate::findings::Severity;
pub use crate::model::grants::AccessLevel;
pub use crate::model::scope::{
    AgentDecl, AgentMatch, AwsNeeds, GithubNeeds, K8sNeeds, McpNeeds, OauthNeeds, RoleNeeds,
    WorkloadOverride,
};

/// What `lanyard init` writes: every key, commented.
pub const STARTER: &str = include_str!("starter.toml");

/// File names looked up at the scan root when `--config` is not given.
pub const CONFIG_NAMES: [&str; 2] = ["lanyard.toml", ".lanyard.toml"];

/// The largest configuration file read: a starter file is 3 KB.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Format version of this file; only 1 exists.
    pub version: Option<u32>,
    /// Lowest severity that fails the run.
    pub fail_on: Option<Severity>,
    /// Rule ids or family names to run (default: all).
    #[serde(default)]
    pub select: Vec<String>,
    /// Rule ids or family names to skip.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Globs of paths (relative to the scan root) to leave out.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Largest file read, in bytes.
    pub max_file_size: Option<u64>,
    /// Whether `lanyard: ignore[...]` comments must give a reason (default true).
    pub require_reason: Option<bool>,
    /// Baseline file of accepted findings, relative to the config file.
    pub baseline: Option<std::path::PathBuf>,
    /// Per-rule settings, by rule id.
    #[serde(default)]
    pub rules: std::collections::BTreeMap<String, RuleConfig>,
    /// Identities and values that are known and accepted.
    #[serde(default)]
    pub allow: Allow,
    /// Directories (relative to the config file, inside the repository) of extra
    /// credential catalog files (`*.toml`, the format of `rules/credentials.toml`).
    #[serde(default)]
    pub rule_dirs: Vec<std::path::PathBuf>,
    /// Task scopes: what each agent's job needs (`[[agent]]`, see docs/task-scopes.md).
    #[serde(default)]
    pub agent: Vec<AgentDecl>,
    /// Rules ignored in some paths (`[[per-path]]`).
    #[serde(default)]
    pub per_path: Vec<PerPath>,
    /// Whether workloads run an AI agent, over lanyard's evidence (`[[workload]]`).
    #[serde(default)]
    pub workload: Vec<WorkloadOverride>,
}

/// `[[per-path]]`: rule ids or families not reported for paths matching the globs
/// (relative to the scan root), for files that cannot hold an ignore comment
/// (`.mcp.json` is strict JSON) or whole trees of fixtures.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PerPath {
    pub paths: Vec<String>,
    pub ignore: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleConfig {
    /// `false` turns the rule off.
    pub enabled: Option<bool>,
    /// Replaces the rule's severity.
    pub severity: Option<Severity>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Allow {
    /// Identities (emails, role ARNs or names, service accounts) whose findings are
    /// accepted: a known bot account, a sanctioned deploy role.
    #[serde(default)]
    pub identities: Vec<String>,
    /// Exact literal values that are not secrets (public test keys of a fixture).
    #[serde(default)]
    pub values: Vec<String>,
}

/// A configuration file that could not be used. Paths and values in these messages
/// pass [`shown`] (masked, one line); sources are shown with credentials masked and
/// the value an error is about elided.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ConfigError {
    #[error("cannot read config file `{path}`: {reason}")]
    #[diagnostic(code(lanyard::config::io))]
    Io { path: String, reason: String },
    #[error("config file `{path}` is larger than the {limit} byte limit")]
    #[diagnostic(code(lanyard::config::too_large))]
    TooLarge { path: String, limit: u64 },
    #[error("`rule-dirs` entry {entry} (`{dir}`): {message}")]
    #[diagnostic(
        code(lanyard::config::rule_dirs),
        help("rule directories hold a few `*.toml` credential catalogs, inside the repository")
    )]
    RuleFiles {
        entry: usize,
        dir: String,
        message: String,
    },
    #[error(
        "config file `{path}` is a symbolic link or not a regular file; lanyard reads only regular files in the scanned repository"
    )]
    #[diagnostic(
        code(lanyard::config::not_a_file),
        help("replace it with a regular file, or pass the configuration with --config")
    )]
    NotAFile { path: String },
    #[error("invalid config file: {message}")]
    #[diagnostic(
        code(lanyard::config::invalid),
        help("see the configuration section of the README")
    )]
    Invalid {
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("here")]
        span: Option<SourceSpan>,
    },
}

/// Top-level keys of `lanyard.toml`.
const TOP_LEVEL_KEYS: [&str; 10] = [
    "version",
    "fail-on",
    "select",
    "ignore",
    "exclude",
    "max-file-size",
    "require-reason",
    "baseline",
    "rule-dirs",
    "per-path",
];

/// A top-level key written after a table header (`rule-dirs` below `[allow]`), which
/// TOML puts in that table: the key, the table and where the key is.
fn misplaced_top_level_key(text: &str) -> Option<(&'static str, String, usize)> {
    let table = text.parse::<toml::Table>().ok()?;
    let mut tables: Vec<(String, &toml::Table)> = Vec::new();
    if let Some(toml::Value::Table(allow)) = table.get("allow") {
        tables.push(("allow".to_owned(), allow));
    }
    if let Some(toml::Value::Table(rules)) = table.get("rules") {
        for (id, t) in rules {
            if let toml::Value::Table(t) = t {
                tables.push((format!("rules.{}", shown(id)), t));
            }
        }
    }
    for (name, t) in tables {
        if let Some(key) = TOP_LEVEL_KEYS.iter().find(|k| t.contains_key(**k)) {
            // The key's first occurrence at the start of a line after the header.
            let header = text.find(&format!("[{name}]")).unwrap_or(0);
            let at = text[header..]
                .match_indices(key)
                .map(|(i, _)| header + i)
                .find(|&i| i == 0 || text[..i].ends_with('\n') || text[..i].ends_with(' '))
                .unwrap_or(header);
            return Some((key, name, at));
        }
    }
    None
}

impl Config {
    /// Load `explicit`, or the first of [`CONFIG_NAMES`] found in `root`; no file means
    /// defaults.
    pub fn load(
        explicit: Option<&Path>,
        root: &Path,
    ) -> Result<(Config, Option<PathBuf>), ConfigError> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => CONFIG_NAMES
                .iter()
                .map(|n| root.join(n))
                .find(|p| std::fs::symlink_metadata(p).is_ok()),
        };
        let Some(path) = path else {
            return Ok((Config::default(), None));
        };
        let bytes = read_config(&path, explicit.is_some())?;
        let text = String::from_utf8(bytes).map_err(|_| ConfigError::Io {
            path: shown(&path.to_string_lossy()),
            reason: "it is not UTF-8 text".to_owned(),
        })?;
        let config = Config::parse(&text, &shown(&path.to_string_lossy()))?;
        Ok((config, Some(path)))
    }

    pub fn parse(text: &str, name: &str) -> Result<Config, ConfigError> {
        // Every source an error shows: credentials masked, and the spans of the value
        // the error is about starred out (it need not look like a credential).
        let source = |hide: &[std::ops::Range<usize>]| {
            let mut masked = text.to_owned();
            for r in hide {
                masked = mask_range(&masked, Some(r.clone()));
            }
            NamedSource::new(name, snippet_text(&masked))
        };
        // The file may be a hostile repository's, and a secret in it need not look
        // like one (an AWS secret key without its variable name): the error never
        // shows the value it is about, and the rest of the file is shown with
        // credentials masked.
        if let Some((key, table, at)) = misplaced_top_level_key(text) {
            return Err(ConfigError::Invalid {
                message: format!(
                    "`{key}` is written after the `[{table}]` header, so TOML reads it as `{table}.{key}`; move it above the first `[...]` header, with the other top-level keys"
                ),
                span: Some(SourceSpan::from(at..at + key.len())),
                src: source(&[]),
            });
        }
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            message: elide_quoted(e.message()),
            span: e.span().map(|r| SourceSpan::from(r.start..r.end)),
            src: source(e.span().as_slice()),
        })?;
        for (key, dir) in config.rule_dirs.iter().map(|d| ("rule-dirs", d)) {
            // A pull request can change this file: keep it from pointing outside the
            // repository.
            if dir.is_absolute()
                || dir
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                let at = text.find(key);
                let span = at.map(|i| SourceSpan::from(i..i + key.len()));
                // The rest of the line holds the value.
                let value = at.map(|i| {
                    let start = i + key.len();
                    start..text[start..].find('\n').map_or(text.len(), |e| start + e)
                });
                return Err(ConfigError::Invalid {
                    message: format!(
                        "`{}` must be a directory inside the repository",
                        shown(&dir.to_string_lossy())
                    ),
                    span,
                    src: source(value.as_slice()),
                });
            }
        }
        if config.workload.iter().any(|w| w.matches.is_empty()) {
            let span = text
                .find("[[workload]]")
                .map(|i| SourceSpan::from(i..i + "[[workload]]".len()));
            return Err(ConfigError::Invalid {
                message: "a `[[workload]]` override needs a non-empty `match` (`workload`, `path`, `namespace`, `service-account`, `mcp-server`, `job` or `harness`)".to_owned(),
                span,
                src: NamedSource::new(name, text.to_owned()),
            });
        }
        let mut names: Vec<&toml::Spanned<String>> = Vec::new();
        for decl in &config.agent {
            let first = names.iter().find(|n| n.get_ref() == decl.name.get_ref());
            let problem = if decl.name.get_ref().trim().is_empty() {
                Some("an `[[agent]]` declaration needs a non-empty `name`".to_owned())
            } else if first.is_some() {
                Some(format!(
                    "two `[[agent]]` declarations are named `{}`",
                    shown(decl.name.get_ref())
                ))
            } else {
                None
            };
            if let Some(mode) = &decl.mode
                && crate::model::harness::HarnessKnowledge::builtin()
                    .and_then(|k| k.declared_level(mode.get_ref()))
                    .is_none()
            {
                let r = mode.span();
                return Err(ConfigError::Invalid {
                    message: format!(
                        "unknown harness mode `{}`: use a mode of the agent's harness (`default`, `acceptEdits`, `auto_edit`, ...), a Codex `approval/sandbox` pair, or one of `plan`, `ask`, `edits`, `unattended`, `bypass`",
                        crate::scan::secrets::shown(mode.get_ref())
                    ),
                    span: Some(SourceSpan::from(r.start..r.end)),
                    src: NamedSource::new(name, snippet_text(text)),
                });
            }
            if let Some(message) = problem {
                let r = decl.name.span();
                let mut hide = vec![r.clone()];
                hide.extend(first.map(|n| n.span()));
                return Err(ConfigError::Invalid {
                    message,
                    span: Some(SourceSpan::from(r.start..r.end)),
                    src: source(&hide),
                });
            }
            names.push(&decl.name);
        }
        if let Some(v) = config.version.filter(|v| *v != 1) {
            let span = text
                .find("version")
                .map(|i| SourceSpan::from(i..i + "version".len()));
            return Err(ConfigError::Invalid {
                message: format!("unsupported config version {v}; this lanyard reads version 1"),
                span,
                src: NamedSource::new(name, snippet_text(text)),
            });
        }
        Ok(config)
    }
}

/// A parser message with every double-quoted value elided (`invalid type: string
/// "…"`), then [`shown`]; backticked key names stay, masked if they look like a secret.
pub fn elide_quoted(message: &str) -> String {
    shown(&crate::syntax::text::elide_quoted(message))
}

/// The bytes of a configuration file: size-checked before reading. A configuration
/// found in the scanned repository must be a regular file (a link to
/// `/proc/self/environ` would have its parse error print the CI's environment);
/// `--config` (`follow_links`) is the operator's own choice and may be a link.
pub fn read_config(path: &Path, follow_links: bool) -> Result<Vec<u8>, ConfigError> {
    use crate::scan::safe_fs::{ReadError, read_capped};
    let shown_path = || shown(&path.to_string_lossy());
    read_capped(path, MAX_CONFIG_BYTES, follow_links).map_err(|e| match e {
        ReadError::NotAFile if !follow_links => ConfigError::NotAFile { path: shown_path() },
        ReadError::NotAFile => ConfigError::Io {
            path: shown_path(),
            reason: "it is missing or not a regular file".to_owned(),
        },
        ReadError::TooLarge { limit } => ConfigError::TooLarge {
            path: shown_path(),
            limit,
        },
        ReadError::Io(e) => ConfigError::Io {
            path: shown_path(),
            reason: e.kind().to_string(),
        },
    })
}

/// `text` with the characters of `range` that are not quotes or line breaks replaced
/// by `*`, byte for byte, so spans into it stay valid.
/// The configuration as an error may quote it: credentials the catalog recognises
/// and words that look like secrets masked (a commented-out token next to the line in
/// error), every byte offset unchanged so the error still points where it should.
fn snippet_text(text: &str) -> String {
    let redacted = crate::model::catalog::redact_text(text);
    crate::syntax::text::mask_secret_looking(&redacted).into_owned()
}

fn mask_range(text: &str, range: Option<std::ops::Range<usize>>) -> String {
    let Some(r) = range else {
        return text.to_owned();
    };
    text.char_indices()
        .map(|(i, c)| {
            if r.contains(&i) && !matches!(c, '"' | '\'' | '\n' | '\r') {
                "*".repeat(c.len_utf8())
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// The README's example configuration and `lanyard init`'s starter parse, the
    /// starter also with every commented example key turned on.
    #[test]
    fn readme_and_starter_examples_parse() {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("### Configuration")
            .and_then(|c| readme[c..].find("```toml").map(|i| c + i + "```toml".len()))
            .expect("the README has a configuration example");
        let end = start + readme[start..].find("```").expect("a closed block");
        let config = Config::parse(&readme[start..end], "README.md").expect("README example");
        assert_eq!(config.rule_dirs.len(), 1, "rule-dirs is top-level");
        assert_eq!(config.per_path.len(), 1);
        assert!(!config.agent.is_empty());

        Config::parse(STARTER, "starter").expect("starter");
        let uncommented: String = STARTER
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if rest.starts_with('[')
                        || rest.split_once(" = ").is_some_and(|(k, _)| {
                            k.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                        }) =>
                {
                    rest
                }
                _ => l,
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let config = Config::parse(&uncommented, "starter").expect("uncommented starter");
        assert_eq!(config.rule_dirs.len(), 1);
        assert!(config.baseline.is_some());
        assert_eq!(config.per_path.len(), 1);
        assert_eq!(config.rules.len(), 2);
    }

    #[test]
    fn a_top_level_key_below_a_table_is_explained() {
        let err =
            Config::parse("[allow]\nidentities = []\nrule-dirs = [\"r\"]\n", "x.toml").unwrap_err();
        let ConfigError::Invalid { message, span, .. } = err else {
            panic!("{err:?}")
        };
        assert!(message.contains("allow.rule-dirs"), "{message}");
        assert!(message.contains("move it above"), "{message}");
        assert_eq!(span.map(|s| s.offset()), Some(24));
    }

    use super::*;

    #[test]
    fn reads_known_keys() {
        let c = Config::parse(
            "fail-on = \"medium\"\nselect = [\"excessive-scope\"]\nexclude = [\"vendor/**\"]\n",
            "x",
        )
        .unwrap();
        assert_eq!(c.fail_on, Some(Severity::Medium));
        assert_eq!(c.select, vec!["excessive-scope"]);
        assert_eq!(c.exclude, vec!["vendor/**"]);
    }

    #[test]
    fn starter_parses_to_the_defaults() {
        let c = Config::parse(STARTER, "lanyard.toml").unwrap();
        assert_eq!(c.version, Some(1));
        assert_eq!(c.fail_on, Some(Severity::High));
        assert!(c.select.is_empty() && c.allow.identities.is_empty());
    }

    #[test]
    fn workload_overrides_need_a_match() {
        let c = Config::parse(
            "[[workload]]\nmatch = { workload = \"Deployment ops/chat-api\" }\nagent = false\n",
            "x",
        )
        .unwrap();
        assert_eq!(c.workload.len(), 1);
        assert!(!c.workload[0].agent);
        for bad in [
            "[[workload]]\nmatch = {}\nagent = true\n",
            "[[workload]]\nagent = true\n",
            "[[workload]]\nmatch = { workload = \"x\" }\n",
            "[[workload]]\nmatch = { image = \"x\" }\nagent = true\n",
        ] {
            assert!(Config::parse(bad, "x").is_err(), "{bad}");
        }
    }

    #[test]
    fn rule_dirs_stay_inside_the_repository() {
        for bad in ["rule-dirs = [\"/etc\"]", "rule-dirs = [\"../x\"]"] {
            assert!(Config::parse(bad, "x").is_err(), "{bad}");
        }
        assert!(Config::parse("rule-dirs = [\"lanyard-rules\"]", "x").is_ok());
    }

    #[test]
    fn agent_declarations_parse_with_spans() {
        let text = r#"
[[agent]]
name = "triage"
match = { namespace = "agents", service-account = "triage" }
aws = { actions = ["s3:GetObject"], resources = ["arn:aws:s3:::invoices/*"] }
kubernetes = { verbs = ["get"], resources = ["configmaps"], namespaces = ["agents"] }
github = { permissions = { contents = "read", pull-requests = "write" } }
mcp = { servers = ["github"], filesystem = ["./workspace"] }
"#;
        let c = Config::parse(text, "x").unwrap();
        let d = &c.agent[0];
        assert_eq!(&text[d.name.span()], "\"triage\"");
        assert_eq!(d.matches.service_account.as_deref(), Some("triage"));
        assert!(!d.human_credentials);
        let gh = d.github.as_ref().unwrap();
        assert_eq!(gh.permissions["pull-requests"], AccessLevel::Write);
    }

    #[test]
    fn bad_agent_declarations_point_at_the_problem() {
        for (text, at) in [
            ("[[agent]]\nname = \"a\"\nawz = {}\n", "awz"),
            ("[[agent]]\nname = \"a\"\nmatch = { rol = \"x\" }\n", "rol"),
            (
                "[[agent]]\nname = \"a\"\ngithub = { permissions = { contents = \"admin\" } }\n",
                "\"admin\"",
            ),
            (
                "[[agent]]\nname = \"a\"\n[[agent]]\nname = \"a\"\n",
                "\"a\"",
            ),
            (
                "[[agent]]\nname = \"a\"\nmode = \"warp-speed\"\n",
                "\"warp-speed\"",
            ),
        ] {
            let Err(ConfigError::Invalid {
                span: Some(span), ..
            }) = Config::parse(text, "x")
            else {
                panic!("expected an error with a span: {text}")
            };
            let got = &text[span.offset()..span.offset() + span.len()];
            assert!(got.contains(at), "{text}: points at {got}");
        }
    }

    #[test]
    fn unknown_key_points_at_it() {
        let text = "fail-on = \"high\"\nfial-on = \"low\"\n";
        let Err(ConfigError::Invalid {
            span: Some(span),
            message,
            ..
        }) = Config::parse(text, "x")
        else {
            panic!("expected an error with a span")
        };
        assert!(message.contains("fial-on"), "{message}");
        assert_eq!(&text[span.offset()..span.offset() + span.len()], "fial-on");
    }
}
