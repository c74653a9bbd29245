//! `lanyard.toml`: project settings. Unknown keys are errors (with their location), so
//! a typo never silently disables a check.

use std::path::{Path, PathBuf};

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;

use crate::finding::Severity;

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
        // A config found in the scanned repository is the PR author's: a link to
        // `/proc/self/environ` would have its parse error print the CI's environment.
        // Only a regular file is read; `--config` is the operator's own choice.
        if explicit.is_none()
            && !std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file())
        {
            return Err(ConfigError::NotAFile {
                path: path.display().to_string(),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let config = Config::parse(&text, &path.display().to_string())?;
        Ok((config, Some(path)))
    }

    pub fn parse(text: &str, name: &str) -> Result<Config, ConfigError> {
        // The file may be a hostile repository's, and a secret in it need not look
        // like one (an AWS secret key without its variable name): the error never
        // shows the value it is about, and the rest of the file is shown with
        // credentials masked.
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            message: elide_quoted(e.message()),
            span: e.span().map(|r| SourceSpan::from(r.start..r.end)),
            src: NamedSource::new(
                name,
                crate::catalog::redact_text(&mask_range(text, e.span())),
            ),
        })?;
        if let Some(v) = config.version.filter(|v| *v != 1) {
            let span = text
                .find("version")
                .map(|i| SourceSpan::from(i..i + "version".len()));
            return Err(ConfigError::Invalid {
                message: format!("unsupported config version {v}; this lanyard reads version 1"),
                span,
                src: NamedSource::new(name, crate::catalog::redact_text(text)),
            });
        }
        Ok(config)
    }
}

/// A parser message with every double-quoted value elided (`invalid type: string
/// "…"`), its credentials masked too; backticked key names stay.
pub fn elide_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    let mut escaped = false;
    for c in message.chars() {
        if inside {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => {
                    inside = false;
                    out.push_str("…\"");
                }
                _ => escaped = false,
            }
        } else {
            if c == '"' {
                inside = true;
            }
            out.push(c);
        }
    }
    crate::catalog::redact_text(&out)
}

/// `text` with the characters of `range` that are not quotes or line breaks replaced
/// by `*`, byte for byte, so spans into it stay valid.
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
