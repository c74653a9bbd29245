//! `lanyard.toml`: project settings. Unknown keys are errors (with their location), so
//! a typo never silently disables a check.

use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;

use crate::finding::Severity;

/// What `lanyard init` writes: every key, commented.
pub const STARTER: &str = include_str!("starter.toml");

/// File names looked up at the scan root when `--config` is not given.
pub const CONFIG_NAMES: [&str; 2] = ["lanyard.toml", ".lanyard.toml"];

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

/// A configuration file that could not be used.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ConfigError {
    #[error("cannot read config file `{path}`: {source}")]
    #[diagnostic(code(lanyard::config::io))]
    Io {
        path: String,
        source: std::io::Error,
    },
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
                .find(|p| p.is_file()),
        };
        let Some(path) = path else {
            return Ok((Config::default(), None));
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let config = Config::parse(&text, &path.display().to_string())?;
        Ok((config, Some(path)))
    }

    pub fn parse(text: &str, name: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            message: e.message().to_owned(),
            span: e.span().map(|r| SourceSpan::from(r.start..r.end)),
            src: NamedSource::new(name, text.to_owned()),
        })?;
        for (key, dir) in config.rule_dirs.iter().map(|d| ("rule-dirs", d)) {
            // A pull request can change this file: keep it from pointing outside the
            // repository.
            if dir.is_absolute()
                || dir
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                let span = text.find(key).map(|i| SourceSpan::from(i..i + key.len()));
                return Err(ConfigError::Invalid {
                    message: format!(
                        "`{}` must be a directory inside the repository",
                        dir.display()
                    ),
                    span,
                    src: NamedSource::new(name, text.to_owned()),
                });
            }
        }
        if let Some(v) = config.version.filter(|v| *v != 1) {
            let span = text
                .find("version")
                .map(|i| SourceSpan::from(i..i + "version".len()));
            return Err(ConfigError::Invalid {
                message: format!("unsupported config version {v}; this lanyard reads version 1"),
                span,
                src: NamedSource::new(name, text.to_owned()),
            });
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
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
    fn rule_dirs_stay_inside_the_repository() {
        for bad in ["rule-dirs = [\"/etc\"]", "rule-dirs = [\"../x\"]"] {
            assert!(Config::parse(bad, "x").is_err(), "{bad}");
        }
        assert!(Config::parse("rule-dirs = [\"lanyard-rules\"]", "x").is_ok());
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
