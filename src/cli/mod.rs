//! Command-line interface: argument parsing, settings resolution, output and exit codes.

pub mod config;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use miette::{Diagnostic, IntoDiagnostic};

use crate::cli::config::{Config, ConfigError};
use crate::findings::{Family, Severity};
use crate::report;
use crate::rules::{self, RuleMeta};
use crate::scan::safe_fs::{Expect, ReadError, WriteError, read_capped, resolve_inside};
use crate::scan::secrets::{Secrets, shown};
use crate::scan::{self, NoticeKind, ScanOptions};
use crate::syntax::text::neutralize_workflow_commands;

/// The largest baseline file read.
const MAX_BASELINE_BYTES: u64 = 64 * 1024 * 1024;
/// Custom credential rules from `rule-dirs`: at most this many files, each at most
/// this large, holding at most this many regexes, each compiling to at most this much
/// (the catalog's own limit is 4 MiB a regex, for the built-in formats).
const MAX_RULE_FILES: usize = 32;
const MAX_RULE_FILE_BYTES: u64 = 256 * 1024;
const MAX_RULE_REGEXES: usize = 64;
const MAX_RULE_REGEX_COMPILED: usize = 1024 * 1024;
const MAX_RULE_REGEX_CHARS: usize = 4096;

const EXIT_CODES: &str = "\
Exit codes:
  0  no finding at or above --fail-on (always with --exit-zero or --fail-on none)
  1  findings at or above --fail-on
  2  lanyard could not do its job (bad usage or config, unreadable path, internal error)";

const TOP_EXAMPLES: &str = "\
Examples:
  lanyard check                          scan the current directory
  lanyard check --format concise -q      one line a finding, no summary
  lanyard check --exit-zero              report only (or --fail-on none)
  lanyard check --diff-base origin/main  only files changed on this branch (and new ones)
  lanyard explain human-token            a rule's documentation; a family lists its rules
  lanyard check --help                   every option of check";

const CHECK_EXAMPLES: &str = "\
Examples:
  lanyard check                          scan the current directory
  lanyard check fixtures/demo            scan the bundled demo repository
  lanyard check --format sarif -o lanyard.sarif
  lanyard check --select borrowed-credential,shared-identity
  lanyard check --ignore default-service-account --fail-on critical
  lanyard check --format concise -q      one line a finding: path:line:col: severity rule message
  lanyard check --exit-zero              report only: exit 0 whatever the findings
  lanyard check --fail-on none -v        report only, and list skipped files
  FORCE_COLOR=1 lanyard check | less -R  colours into a pipe (NO_COLOR=1 turns them off)
  lanyard check --diff-base origin/main  only findings in files changed since the merge base

The default format is `human`, also into a pipe or file; ask for `concise` or `json`
for a stable machine-readable shape.";

#[derive(Debug, Parser)]
#[command(
    name = "lanyard",
    version,
    about = "Static IAM linter for AI agents: finds agents running on people's credentials, shared identities, excessive scope and missing audit trails",
    after_help = format!("{TOP_EXAMPLES}\n\n{EXIT_CODES}"),
    arg_required_else_help = true,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan files and directories and report findings
    #[command(after_help = format!("{CHECK_EXAMPLES}\n\n{EXIT_CODES}"))]
    Check(CheckArgs),
    /// List every workload and agent, the identities they run as and who shares them
    Inventory(InventoryArgs),
    /// Record today's findings as accepted, so `check --baseline` reports only new ones
    Baseline(BaselineArgs),
    /// Write a commented starter `lanyard.toml`
    Init {
        /// Where to write it
        #[arg(default_value = "lanyard.toml")]
        path: PathBuf,
        /// Overwrite an existing file
        #[arg(long)]
        force: bool,
    },
    /// List every rule with its family, severity and confidence
    Rules(RulesArgs),
    /// Print the full documentation of a rule
    Explain {
        /// Rule id, e.g. `human-token`
        rule: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    /// One line per finding: `path:line:col: severity rule message`
    Concise,
    Json,
    Sarif,
    Github,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    /// Never fail on findings (report only)
    None,
}

impl FailOn {
    /// The lowest failing severity; `None` for `--fail-on none`.
    fn severity(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::None => None,
        }
    }
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    scan: ScanArgs,

    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Human, help_heading = "Output")]
    format: Format,

    /// Write the report to FILE instead of standard output
    #[arg(long, short = 'o', value_name = "FILE", help_heading = "Output")]
    output: Option<PathBuf>,

    /// When to use colours (NO_COLOR is honoured with `auto`)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, help_heading = "Output")]
    color: ColorChoice,

    /// Also list skipped files (symlinks, binary, oversized)
    #[arg(long, short = 'v', help_heading = "Output", conflicts_with = "quiet")]
    verbose: bool,

    /// Print findings only: no notices and no summary (human and concise formats)
    #[arg(long, short = 'q', help_heading = "Output")]
    quiet: bool,

    /// Also write a report in another format: `--report sarif=lanyard.sarif` (repeatable)
    #[arg(long, value_name = "FORMAT=PATH", value_parser = parse_report, help_heading = "Output")]
    report: Vec<ReportSpec>,

    /// Also write SARIF to PATH (shorthand for `--report sarif=PATH`)
    #[arg(long, value_name = "PATH", help_heading = "Output")]
    sarif_file: Option<PathBuf>,

    /// Hide findings recorded in this baseline file (see `lanyard baseline`)
    #[arg(long, value_name = "FILE", help_heading = "Rules")]
    baseline: Option<PathBuf>,

    /// Report only findings in files changed since this git ref (the whole repository
    /// is still scanned, so cross-file findings stay complete)
    #[arg(long, value_name = "REF", help_heading = "Rules")]
    diff_base: Option<String>,

    /// Report `lanyard: ignore[...]` comments that suppress nothing
    #[arg(long, help_heading = "Rules")]
    report_unused_ignores: bool,

    /// Lowest severity that makes the run fail (exit 1); `none` never fails on
    /// findings [default: high, or the config's `fail-on`]
    #[arg(long, value_enum, help_heading = "Rules")]
    fail_on: Option<FailOn>,

    /// Exit 0 whatever the findings (report only); errors still exit 2
    #[arg(long, help_heading = "Rules")]
    exit_zero: bool,

    /// Fail (exit 2) when no file was scanned: ignore files, excludes or the paths
    /// given left nothing to check (the GitHub Action turns this on)
    #[arg(long, help_heading = "Rules")]
    fail_on_empty: bool,
}

/// An extra report: its format and where to write it.
#[derive(Debug, Clone)]
struct ReportSpec {
    format: Format,
    path: PathBuf,
}

fn parse_report(s: &str) -> Result<ReportSpec, String> {
    let (format, path) = s
        .split_once('=')
        .ok_or_else(|| format!("expected FORMAT=PATH, got `{s}`"))?;
    let format = Format::from_str(format, true).map_err(|_| {
        format!("unknown format `{format}` (human, concise, json, sarif, github, markdown)")
    })?;
    if path.is_empty() {
        return Err("the report path is empty".to_owned());
    }
    Ok(ReportSpec {
        format,
        path: PathBuf::from(path),
    })
}

/// The scan root relative to `GITHUB_WORKSPACE`, so annotation paths resolve in the
/// repository when lanyard scans a subdirectory.
fn workspace_prefix(paths: &[PathBuf]) -> String {
    let (Some(ws), [root]) = (std::env::var_os("GITHUB_WORKSPACE"), paths) else {
        return String::new();
    };
    let (Ok(ws), Ok(root)) = (std::fs::canonicalize(ws), std::fs::canonicalize(root)) else {
        return String::new();
    };
    if !root.is_dir() {
        return String::new();
    }
    root.strip_prefix(&ws)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default()
}

/// What to scan: shared by `check` and `inventory`.
#[derive(Debug, Args)]
struct ScanArgs {
    /// Files or directories to scan
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Run only these rules or families (comma-separated ids or family names)
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "RULE|FAMILY",
        help_heading = "Rules"
    )]
    select: Vec<String>,

    /// Skip these rules or families (comma-separated ids or family names)
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "RULE|FAMILY",
        help_heading = "Rules"
    )]
    ignore: Vec<String>,

    /// Configuration file [default: lanyard.toml or .lanyard.toml at the scan root]
    #[arg(
        long,
        value_name = "FILE",
        env = "LANYARD_CONFIG",
        help_heading = "Rules"
    )]
    config: Option<PathBuf>,

    /// Also scan files excluded by .gitignore and .ignore (e.g. a local .env)
    #[arg(long, help_heading = "Discovery")]
    no_ignore_files: bool,

    /// Skip files larger than this many bytes
    #[arg(long, value_name = "BYTES", help_heading = "Discovery")]
    max_file_size: Option<u64>,

    /// Worker threads [default: available cores, at most 12]
    #[arg(long, short = 'j', value_name = "N", help_heading = "Discovery")]
    threads: Option<usize>,
}

#[derive(Debug, Args)]
struct BaselineArgs {
    #[command(flatten)]
    scan: ScanArgs,

    /// Where to write the baseline
    #[arg(
        long,
        short = 'o',
        value_name = "FILE",
        default_value = ".lanyard-baseline.json"
    )]
    output: PathBuf,
}

#[derive(Debug, Args)]
struct InventoryArgs {
    #[command(flatten)]
    scan: ScanArgs,

    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = InventoryFormat::Table)]
    format: InventoryFormat,

    /// Write the inventory to FILE instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Print `[[agent]]` task declarations for lanyard.toml covering what each agent
    /// holds today, to cut down to what its task needs (docs/task-scopes.md)
    #[arg(long, conflicts_with = "format")]
    suggest: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum InventoryFormat {
    Table,
    Json,
    /// A Mermaid flowchart (renders in GitHub Markdown)
    Mermaid,
    /// Graphviz DOT
    Dot,
}

#[derive(Debug, Args)]
struct RulesArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    format: RulesFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RulesFormat {
    Table,
    Json,
    /// The rule reference, as committed in docs/rules.md
    Markdown,
}

/// Errors that end the run with exit code 2.
#[derive(Debug, thiserror::Error, Diagnostic)]
enum CliError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] ConfigError),
    #[error("unknown rule or family `{name}`{hint}{origin}")]
    #[diagnostic(code(lanyard::usage), help("`lanyard rules` lists the rule ids; families are {families}", families = family_list()))]
    UnknownRule {
        name: String,
        /// " (did you mean `x`?)" or nothing.
        hint: String,
        /// " in lanyard.toml, line 3" or nothing (the command line).
        origin: String,
    },
    // No `#[from]`/`#[source]`: miette would print the error's cause again below it.
    #[error("{0}")]
    #[diagnostic(code(lanyard::scan))]
    Scan(scan::ScanError),
    // One message for a baseline that is missing, outside the repository or reached
    // through a link: a repository's configuration must not learn which it was.
    #[error(
        "the configuration's baseline `{0}` is not a regular file inside the scanned repository (it is missing, outside it, or a symbolic link is on the way)"
    )]
    #[diagnostic(
        code(lanyard::config::baseline),
        help("name a baseline file inside the repository, or pass it with --baseline")
    )]
    BaselineOutside(String),
    #[error("cannot read baseline `{path}`: {reason}")]
    #[diagnostic(code(lanyard::baseline))]
    Baseline { path: String, reason: String },
    #[error("{0}")]
    #[diagnostic(code(lanyard::diff))]
    Diff(crate::scan::diff::DiffError),
    #[error("{0}")]
    #[diagnostic(
        code(lanyard::output),
        help(
            "lanyard writes an output only as a new file, never through a link planted in the scanned tree"
        )
    )]
    Write(WriteError),
    #[error("no file was scanned (--fail-on-empty)")]
    #[diagnostic(
        code(lanyard::empty),
        help(
            "ignore files, `exclude` globs or the paths given left nothing to check; `--verbose` lists skipped files"
        )
    )]
    Empty,
    #[error("cannot write the report: {0}")]
    #[diagnostic(code(lanyard::output))]
    Stdout(std::io::ErrorKind),
}

impl From<scan::ScanError> for CliError {
    fn from(e: scan::ScanError) -> Self {
        CliError::Scan(e)
    }
}

impl From<crate::scan::diff::DiffError> for CliError {
    fn from(e: crate::scan::diff::DiffError) -> Self {
        CliError::Diff(e)
    }
}

impl From<WriteError> for CliError {
    fn from(e: WriteError) -> Self {
        CliError::Write(e)
    }
}

/// An unknown rule id or family, with the closest known one, and where it was
/// written (`origin`: empty for the command line).
fn unknown_rule(name: &str, origin: String) -> CliError {
    CliError::UnknownRule {
        name: shown(name),
        hint: crate::scan::names::hint(name),
        origin,
    }
}

/// " in FILE, line N" for the first line of the config that mentions `name` in
/// quotes or as a `[rules.NAME]` table; " in FILE" when none does.
fn config_origin(config_path: Option<&Path>, explicit: bool, name: &str) -> String {
    let Some(path) = config_path else {
        return String::new();
    };
    let file = shown(&path.to_string_lossy());
    // Read again as it was read (a regular file, no link): only to find the line.
    let text = crate::cli::config::read_config(path, explicit)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let line = text.and_then(|text| {
        text.lines().position(|l| {
            l.contains(&format!("\"{name}\""))
                || l.contains(&format!("'{name}'"))
                || l.contains(&format!("rules.{name}"))
        })
    });
    match line {
        Some(n) => format!(" in {file}, line {}", n + 1),
        None => format!(" in {file}"),
    }
}

fn family_list() -> String {
    Family::ALL
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Entry point used by `main.rs`.
pub fn main() -> ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    match run(cli) {
        Ok(code) => code,
        Err(report) => {
            say(&format!("{report:?}"));
            ExitCode::from(2)
        }
    }
}

/// clap's help, version and usage errors. A usage error quotes the argument it is
/// about, which is printed masked like any other error.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let code = ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            // Only ever lanyard's own text; a closed stdout is not an error here.
            let _ = e.print();
        }
        // clap quotes the bad value (`invalid value '…' for '--fail-on'`). The
        // catalog first, while a PEM block still has its line breaks.
        _ => {
            let text = crate::model::catalog::redact_text(&e.render().to_string());
            say(&crate::syntax::text::mask_secret_looking(&text));
        }
    }
    code
}

/// Write to stderr, whatever happens to it: a closed stderr must not turn a message
/// into a panic (and a panic there into an abort). Everything written here passes the
/// catalog's masking and cannot start a GitHub workflow command.
fn say(text: &str) {
    let text = crate::model::catalog::redact_text(text);
    let text = neutralize_workflow_commands(&text, |_| false);
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = err.write_all(b"\n");
    }
}

/// A panic message could quote data from a scanned file; print only where it happened.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map_or_else(
            || "unknown location".to_owned(),
            |l| format!("{}:{}", l.file(), l.line()),
        );
        // Never `eprintln!`: with stderr closed it panics inside the hook, which aborts.
        let _ = writeln!(
            std::io::stderr(),
            "lanyard: internal error at {location} (details withheld: they may quote scanned content)"
        );
    }));
}

fn run(cli: Cli) -> miette::Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Inventory(args) => inventory(args),
        Command::Baseline(args) => write_baseline(args),
        Command::Init { path, force } => {
            // A link is refused by the write itself, whether or not `--force` is given.
            let existing = std::fs::symlink_metadata(&path);
            if existing.is_ok_and(|m| !m.file_type().is_symlink()) && !force {
                return Err(miette::miette!(
                    help = "pass --force to overwrite it",
                    "{} already exists",
                    shown(&path.to_string_lossy())
                ));
            }
            write_file(
                &path,
                crate::cli::config::STARTER.as_bytes(),
                &[PathBuf::from(".")],
            )?;
            say(&format!(
                "lanyard: wrote {}",
                shown(&path.to_string_lossy())
            ));
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules(args) => {
            stdout(&rules_text(args.format))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { rule } => {
            if let Some(family) = Family::parse(rule.trim()) {
                stdout(&family_text(family))?;
                return Ok(ExitCode::SUCCESS);
            }
            let Some(r) = rules::find(rule.trim()) else {
                return Err(unknown_rule(&rule, String::new()).into());
            };
            let m = r.meta();
            stdout(&format!(
                "{} ({}, {} severity, {} confidence)\n\n{}\n\n{}\n",
                m.id,
                m.family,
                m.severity,
                m.confidence,
                m.summary,
                m.docs_text()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `lanyard explain FAMILY`: the family's rules, one a line.
fn family_text(family: Family) -> String {
    let mut out = format!(
        "{} family: rules (`lanyard explain RULE` prints one in full)\n\n",
        family.as_str()
    );
    for m in rules::registry().iter().map(|r| r.meta()) {
        if m.family == family {
            let off = if m.default_enabled {
                ""
            } else {
                " (off by default)"
            };
            out.push_str(&format!(
                "  {:<32} {:<8} {}{off}\n",
                m.id,
                m.severity.as_str(),
                m.summary
            ));
        }
    }
    out
}

/// Resolve rule ids and family names to rule ids; `origin` tells where an unknown one
/// was written.
fn resolve_rules(
    names: &[String],
    origin: impl Fn(&str) -> String,
) -> Result<Vec<&'static str>, CliError> {
    let mut out = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if let Some(family) = Family::parse(name) {
            out.extend(
                rules::registry()
                    .iter()
                    .map(|r| r.meta())
                    // Off-by-default rules are selected by id only.
                    .filter(|m| m.family == family && m.default_enabled)
                    .map(|m| m.id),
            );
        } else if let Some(rule) = rules::find(name) {
            out.push(rule.meta().id);
        } else {
            return Err(unknown_rule(name, origin(name)));
        }
    }
    Ok(out)
}

/// Settings resolved from the command line over `lanyard.toml`.
struct Settings {
    opts: ScanOptions,
    /// `None`: findings never fail the run.
    fail_on: Option<Severity>,
    /// The baseline file named by the config, resolved against the config's directory.
    baseline: Option<PathBuf>,
    /// Where the scanned tree is: an output path through a link in there that leads
    /// out of it is refused.
    protected: Vec<PathBuf>,
}

/// What to scan for the paths given, and which files to report on. Given only files
/// inside the current directory (pre-commit passes the staged ones), the whole
/// repository is scanned from there, so cross-file findings stay complete, and only
/// what touches those files is reported. Any other file is scanned where it is: a
/// file outside the current directory is not swapped for a scan of the current one.
fn roots(paths: &[PathBuf]) -> (Vec<PathBuf>, Option<std::collections::HashSet<String>>) {
    let inside_cwd = |p: &PathBuf| {
        p.is_relative()
            && p.components().all(|c| {
                matches!(
                    c,
                    std::path::Component::Normal(_) | std::path::Component::CurDir
                )
            })
    };
    let only_files = !paths.is_empty() && paths.iter().all(|p| p.is_file());
    if !only_files || !paths.iter().all(inside_cwd) {
        return (paths.to_vec(), None);
    }
    let focus = paths
        .iter()
        .map(|p| {
            p.to_string_lossy()
                .replace('\\', "/")
                .trim_start_matches("./")
                .to_owned()
        })
        .collect();
    (vec![PathBuf::from(".")], Some(focus))
}

fn settings(args: &ScanArgs, fail_on: Option<FailOn>) -> Result<Settings, CliError> {
    let (paths, focus) = roots(&args.paths);
    let root = paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let config_root = if root.is_dir() {
        root
    } else {
        PathBuf::from(".")
    };
    let (config, config_path) = Config::load(args.config.as_deref(), &config_root)?;
    // A config found in the scanned repository is the pull request's: the paths it
    // names are resolved inside the repository, through no link. `--config` is the
    // operator's, and its baseline may be anywhere.
    let from_repo = args.config.is_none();
    let config_dir = config_path
        .as_ref()
        .and_then(|p| p.parent())
        .map(PathBuf::from)
        .unwrap_or_default();
    let baseline = match &config.baseline {
        None => None,
        Some(b) if from_repo => Some(
            resolve_inside(&base_dir(&config_dir), b, Expect::File)
                .ok_or_else(|| CliError::BaselineOutside(shown(&b.to_string_lossy())))?,
        ),
        Some(b) => Some(config_dir.join(b)),
    };

    let select_from_config = args.select.is_empty();
    let select: Vec<String> = if select_from_config {
        config.select.clone()
    } else {
        args.select.clone()
    };
    let ignore: Vec<String> = config.ignore.iter().chain(&args.ignore).cloned().collect();
    let in_config = |name: &str| config_origin(config_path.as_deref(), !from_repo, name);
    let mut selected = if select.is_empty() {
        rules::registry()
            .iter()
            .map(|r| r.meta())
            .filter(|m| m.default_enabled)
            .map(|m| m.id)
            .collect()
    } else {
        resolve_rules(&select, |n| {
            if select_from_config {
                in_config(n)
            } else {
                String::new()
            }
        })?
    };
    let ignored = resolve_rules(&ignore, |n| {
        if config.ignore.iter().any(|c| c.trim() == n) {
            in_config(n)
        } else {
            String::new()
        }
    })?;
    selected.retain(|id| !ignored.contains(id));
    let mut severity_overrides = std::collections::HashMap::new();
    for (id, rule) in &config.rules {
        if rules::find(id).is_none() {
            return Err(unknown_rule(id, in_config(id)));
        }
        if rule.enabled == Some(false) {
            selected.retain(|s| s != id);
        }
        if rule.enabled == Some(true)
            && let Some(r) = rules::find(id)
            && !selected.contains(&r.meta().id)
            && !ignored.contains(&r.meta().id)
        {
            selected.push(r.meta().id);
        }
        if let Some(severity) = rule.severity {
            severity_overrides.insert(id.clone(), severity);
        }
    }
    let mut per_path_ignores = Vec::new();
    for entry in &config.per_path {
        let ids = resolve_rules(&entry.ignore, in_config)?;
        per_path_ignores.push((entry.paths.clone(), ids));
    }
    let rule_files = read_rule_dirs(&config_dir, &config.rule_dirs)?;
    let config_file = match &config_path {
        Some(p) if !config.agent.is_empty() => {
            let bytes = crate::cli::config::read_config(p, !from_repo)?;
            // Relative to the scan root when inside it, as the scanned files are shown.
            let shown = p.strip_prefix(&config_root).unwrap_or(p);
            let shown = shown
                .to_string_lossy()
                .replace('\\', "/")
                .trim_start_matches("./")
                .to_owned();
            Some((std::sync::Arc::from(shown.as_str()), bytes))
        }
        _ => None,
    };
    // A repository's config may lower the file size cap, never raise it: a sparse
    // 2 GB `.env` would be read whole. The operator's `--max-file-size` and
    // `--config` may.
    let config_cap = match config.max_file_size {
        Some(n) if from_repo => Some(n.min(scan::DEFAULT_MAX_FILE_SIZE)),
        other => other,
    };
    let protected = paths
        .iter()
        .map(|p| {
            if p.is_dir() {
                p.clone()
            } else {
                base_dir(p.parent().unwrap_or(Path::new(".")))
            }
        })
        .collect();
    Ok(Settings {
        fail_on: match fail_on {
            Some(f) => f.severity(),
            None => Some(config.fail_on.unwrap_or(Severity::High)),
        },
        baseline,
        protected,
        opts: ScanOptions {
            paths,
            respect_ignore_files: !args.no_ignore_files,
            max_file_size: args
                .max_file_size
                .or(config_cap)
                .unwrap_or(scan::DEFAULT_MAX_FILE_SIZE),
            threads: args.threads.unwrap_or_else(scan::default_threads),
            rules: selected,
            exclude: config.exclude,
            per_path_ignores,
            baseline: Default::default(),
            require_reason: config.require_reason.unwrap_or(true),
            report_unused_ignores: false,
            focus,
            rule_files,
            allowed_values: config.allow.values,
            allowed_identities: config.allow.identities,
            severity_overrides,
            agents: config.agent,
            workloads: config.workload,
            config_file,
        },
    })
}

/// `.` for the empty path (a file name's parent).
fn base_dir(dir: &Path) -> PathBuf {
    if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir.to_path_buf()
    }
}

/// Every `*.toml` of the configured rule directories, in name order, as `(name, text)`.
/// The directories resolve inside the configuration's directory through no link, the
/// files in them are regular files, and count, size and regexes are capped: a
/// repository's custom rules must not read the runner's files or exhaust it.
fn read_rule_dirs(base: &Path, dirs: &[PathBuf]) -> Result<Vec<(String, String)>, CliError> {
    let mut out = Vec::new();
    let base = base_dir(base);
    let mut regexes = 0;
    for (n, rel) in dirs.iter().enumerate() {
        let rule_files = |message: String| ConfigError::RuleFiles {
            entry: n + 1,
            dir: shown(&rel.to_string_lossy()),
            message,
        };
        let Some(dir) = resolve_inside(&base, rel, Expect::Dir) else {
            return Err(rule_files(
                "it is not a directory inside the repository (it is missing, outside it, or a symbolic link is on the way)"
                    .to_owned(),
            )
            .into());
        };
        let listing = std::fs::read_dir(&dir)
            .map_err(|e| rule_files(format!("it cannot be read: {}", e.kind())))?;
        let mut files: Vec<PathBuf> = listing
            .filter_map(Result::ok)
            // A link is not a file here: `DirEntry::file_type` does not follow it.
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        if out.len() + files.len() > MAX_RULE_FILES {
            return Err(rule_files(format!(
                "the rule directories hold more than {MAX_RULE_FILES} rule files; lanyard reads at most {MAX_RULE_FILES}"
            ))
            .into());
        }
        files.sort();
        for f in files {
            let name = f
                .strip_prefix(&base)
                .unwrap_or(&f)
                .to_string_lossy()
                .replace('\\', "/");
            let name = shown(&name);
            let bytes = read_capped(&f, MAX_RULE_FILE_BYTES, false).map_err(|e| {
                rule_files(format!("`{name}` cannot be read: {}", read_problem(&e)))
            })?;
            let text = String::from_utf8(bytes)
                .map_err(|_| rule_files(format!("`{name}` is not UTF-8 text")))?;
            regexes += check_rule_regexes(&text)
                .map_err(|problem| rule_files(format!("`{name}`: {problem}")))?;
            if regexes > MAX_RULE_REGEXES {
                return Err(rule_files(format!(
                    "the rule files hold more than {MAX_RULE_REGEXES} regexes; lanyard compiles at most {MAX_RULE_REGEXES}"
                ))
                .into());
            }
            out.push((name, text));
        }
    }
    Ok(out)
}

/// How many regexes a custom rule file holds, each checked to compile within
/// [`MAX_RULE_REGEX_COMPILED`]. A file that is not valid TOML is left for the catalog
/// to report.
fn check_rule_regexes(text: &str) -> Result<usize, String> {
    let Ok(table) = text.parse::<toml::Table>() else {
        return Ok(0);
    };
    let strings = |v: Option<&toml::Value>| -> Vec<String> {
        match v {
            Some(toml::Value::String(s)) => vec![s.clone()],
            Some(toml::Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    let tables = |key: &str| -> Vec<toml::Table> {
        match table.get(key) {
            Some(toml::Value::Array(a)) => a.iter().filter_map(|x| x.as_table().cloned()).collect(),
            _ => Vec::new(),
        }
    };
    let mut patterns = Vec::new();
    for c in tables("credential") {
        patterns.extend(strings(c.get("regex")));
        patterns.extend(strings(c.get("allowlist")));
    }
    for a in tables("allow") {
        patterns.extend(strings(a.get("regexes")));
    }
    for (i, p) in patterns.iter().enumerate() {
        // The pattern is not quoted: it is the repository's text.
        let too_big = p.chars().count() > MAX_RULE_REGEX_CHARS
            || regex::bytes::RegexBuilder::new(p)
                .size_limit(MAX_RULE_REGEX_COMPILED)
                .build()
                .is_err_and(|e| matches!(e, regex::Error::CompiledTooBig(_)));
        if too_big {
            return Err(format!(
                "regex {} is too large (at most {MAX_RULE_REGEX_CHARS} characters, compiling to at most {} KiB; prefer ASCII classes such as [A-Za-z0-9] to \\w, and shorter repetitions)",
                i + 1,
                MAX_RULE_REGEX_COMPILED / 1024
            ));
        }
    }
    Ok(patterns.len())
}

fn read_problem(e: &ReadError) -> String {
    match e {
        ReadError::NotAFile => "it is missing or not a regular file".to_owned(),
        other => other.to_string(),
    }
}

/// Write an output file safely (see [`crate::scan::safe_fs::write_output`]).
fn write_file(path: &Path, bytes: &[u8], protected: &[PathBuf]) -> Result<(), CliError> {
    crate::scan::safe_fs::write_output(path, bytes, protected).map_err(|e| {
        CliError::Write(match e {
            WriteError::TargetIsLink { path } => WriteError::TargetIsLink { path: shown(&path) },
            WriteError::ParentLeaves { path, link } => WriteError::ParentLeaves {
                path: shown(&path),
                link: shown(&link),
            },
            WriteError::Io { path, reason } => WriteError::Io {
                path: shown(&path),
                reason,
            },
        })
    })
}

/// Write to stdout, where a reader that went away (`lanyard rules | head`) ends the
/// output quietly: it is not an error, and never a panic.
fn stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::Stdout(e.kind())),
        _ => Ok(()),
    }
}

/// A rendered report as it may leave lanyard: every secret the scan found masked
/// wherever it appears (a name, a path), and no line that could start a GitHub
/// workflow command unless it is one of lanyard's own annotations.
fn final_text(buf: &[u8], secrets: &Secrets, format: Option<Format>) -> String {
    let text = String::from_utf8_lossy(buf);
    let text = secrets.mask_output(&text);
    let annotations = format == Some(Format::Github);
    neutralize_workflow_commands(&text, |line| {
        annotations
            && (["::error file=", "::warning file=", "::notice file="]
                .iter()
                .any(|p| line.starts_with(p))
                || line.starts_with(report::github::OVERFLOW_PREFIX))
    })
    .into_owned()
}

/// Write a report to its file, or to stdout.
fn emit(output: Option<&PathBuf>, text: &str, protected: &[PathBuf]) -> Result<(), CliError> {
    match output {
        Some(path) => write_file(path, text.as_bytes(), protected),
        None => stdout(text),
    }
}

/// `from_repo`: the path comes from a config in the scanned repository, and was
/// resolved inside it; a link swapped in since is still not followed.
fn read_baseline(
    path: &std::path::Path,
    from_repo: bool,
) -> miette::Result<std::collections::HashSet<String>> {
    let shown_path = shown(&path.to_string_lossy());
    let bytes = read_capped(path, MAX_BASELINE_BYTES, !from_repo).map_err(|e| {
        if from_repo && matches!(e, ReadError::NotAFile) {
            return CliError::BaselineOutside(shown_path.clone());
        }
        CliError::Baseline {
            path: shown_path.clone(),
            reason: read_problem(&e),
        }
    })?;
    let text = String::from_utf8_lossy(&bytes);
    // serde's messages quote values (`invalid type: string "…"`): elide them.
    let baseline: crate::findings::suppress::Baseline =
        serde_json::from_str(&text).map_err(|e| CliError::Baseline {
            path: shown_path.clone(),
            reason: format!(
                "not a lanyard baseline: {}",
                crate::cli::config::elide_quoted(&e.to_string())
            ),
        })?;
    if baseline.version != 1 {
        return Err(CliError::Baseline {
            path: shown_path,
            reason: format!("unsupported baseline version {}", baseline.version),
        }
        .into());
    }
    Ok(baseline
        .fingerprints()
        .into_iter()
        .map(str::to_owned)
        .collect())
}

fn write_baseline(args: BaselineArgs) -> miette::Result<ExitCode> {
    let settings = settings(&args.scan, None)?;
    let result = scan::scan(&settings.opts).map_err(CliError::from)?;
    let baseline = crate::findings::suppress::Baseline::from_findings(&result.findings);
    let mut text = serde_json::to_string_pretty(&baseline).into_diagnostic()?;
    text.push('\n');
    let text = final_text(text.as_bytes(), &result.secrets, None);
    write_file(&args.output, text.as_bytes(), &settings.protected)?;
    say(&format!(
        "lanyard: recorded {} findings in {}",
        baseline.findings.len(),
        shown(&args.output.to_string_lossy())
    ));
    Ok(ExitCode::SUCCESS)
}

fn inventory(args: InventoryArgs) -> miette::Result<ExitCode> {
    let settings = settings(&args.scan, None)?;
    let result = scan::scan(&settings.opts).map_err(CliError::from)?;
    let text = if args.suggest {
        crate::report::inventory::suggest(&result)
    } else {
        let inv = crate::report::inventory::Inventory::build(&result);
        match args.format {
            InventoryFormat::Table => inv.table(),
            InventoryFormat::Mermaid => inv.mermaid(),
            InventoryFormat::Dot => inv.dot(),
            InventoryFormat::Json => {
                let mut s = serde_json::to_string_pretty(&inv).into_diagnostic()?;
                s.push('\n');
                s
            }
        }
    };
    let text = final_text(text.as_bytes(), &result.secrets, None);
    emit(args.output.as_ref(), &text, &settings.protected)?;
    Ok(ExitCode::SUCCESS)
}

fn check(args: CheckArgs) -> miette::Result<ExitCode> {
    let Settings {
        mut opts,
        fail_on,
        baseline,
        protected,
    } = settings(&args.scan, args.fail_on)?;
    opts.report_unused_ignores = args.report_unused_ignores;
    if let Some(path) = &args.baseline {
        opts.baseline = read_baseline(path, false)?;
    } else if let Some(path) = &baseline {
        opts.baseline = read_baseline(path, args.scan.config.is_none())?;
    }
    if let Some(base) = &args.diff_base {
        let changed =
            crate::scan::diff::changed_files(&opts.paths, base).map_err(CliError::from)?;
        opts.focus = Some(match opts.focus.take() {
            Some(files) => files.intersection(&changed).cloned().collect(),
            None => changed,
        });
    }
    let selected = opts.rules.clone();
    let result = scan::scan(&opts).map_err(CliError::from)?;

    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => args.output.is_none() && auto_color(to_terminal),
    };
    let render = |format: Format, color: bool| -> miette::Result<String> {
        let mut buf: Vec<u8> = Vec::new();
        let input = report_input(&result, &selected);
        match format {
            Format::Human => report::human::write(
                &result,
                &report::human::HumanOptions {
                    color,
                    verbose: args.verbose,
                    quiet: args.quiet,
                    // With --exit-zero nothing fails the run: the summary must not say so.
                    fail_on: fail_on.filter(|_| !args.exit_zero),
                },
                &mut buf,
            ),
            Format::Concise => report::concise::write(&input, args.verbose, args.quiet, &mut buf),
            Format::Json => report::json::write(&input, &mut buf),
            Format::Sarif => report::sarif::write(&input, &mut buf),
            Format::Github => {
                report::github::write(&input, &workspace_prefix(&opts.paths), &mut buf)
            }
            Format::Markdown => report::markdown::write(&input, &mut buf),
        }
        .into_diagnostic()?;
        Ok(final_text(&buf, &result.secrets, Some(format)))
    };
    let text = render(args.format, color)?;
    // Extra reports from the same scan (CI shows diagnostics and uploads SARIF).
    let mut extra: Vec<(Format, PathBuf)> = args
        .report
        .iter()
        .map(|r| (r.format, r.path.clone()))
        .collect();
    if let Some(path) = &args.sarif_file {
        extra.push((Format::Sarif, path.clone()));
    }
    for (format, path) in extra {
        write_file(&path, render(format, false)?.as_bytes(), &protected)?;
    }
    emit(args.output.as_ref(), &text, &protected)?;
    if result
        .notices
        .iter()
        .any(|n| n.kind == NoticeKind::InternalError)
    {
        return Ok(ExitCode::from(2));
    }
    if args.fail_on_empty && result.stats.files_scanned == 0 {
        return Err(CliError::Empty.into());
    }
    let failing = !args.exit_zero
        && fail_on.is_some_and(|min| result.findings.iter().any(|f| f.severity() >= min));
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--color auto` on stdout: `FORCE_COLOR` (set and not empty or `0`) turns colours
/// on, even into a pipe (a CI log); `FORCE_COLOR=0` and `NO_COLOR` (set and not empty) turn
/// them off; otherwise colours go to a terminal only.
fn auto_color(to_terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    match set("FORCE_COLOR") {
        Some(v) => v != "0",
        None => to_terminal && set("NO_COLOR").is_none(),
    }
}

fn report_input<'a>(
    result: &'a scan::ScanResult,
    selected: &[&'static str],
) -> report::ReportInput<'a> {
    report::ReportInput {
        result,
        rules: rules::registry()
            .iter()
            .map(|r| r.meta())
            .filter(|m| selected.contains(&m.id))
            .collect(),
    }
}

/// The rule reference (`docs/rules.md`), generated from the rules' own documentation.
pub fn rules_markdown(metas: &[&'static RuleMeta]) -> String {
    let mut md = String::from(
        "# Rules\n\n<!-- Generated by `lanyard rules --format markdown`; do not edit by hand. -->\n\n| id | family | severity | confidence | summary |\n|---|---|---|---|---|\n",
    );
    for m in metas {
        md.push_str(&format!(
            "| [`{id}`](#{id}) | {} | {} | {} | {} |\n",
            m.family,
            m.severity,
            m.confidence,
            m.summary,
            id = m.id
        ));
    }
    for m in metas {
        let off = if m.default_enabled {
            ""
        } else {
            " · off by default (select it by id)"
        };
        let body = m.docs_text().replace("\n## ", "\n### ");
        let body = body
            .strip_prefix("## ")
            .map_or(body.clone(), |b| format!("### {b}"));
        md.push_str(&format!(
            "\n## {}\n\n{} · {} severity · {} confidence{off}\n\n{}\n",
            m.id, m.family, m.severity, m.confidence, body
        ));
    }
    md
}

/// `lanyard rules` in a format.
fn rules_text(format: RulesFormat) -> String {
    use std::fmt::Write as _;
    let metas: Vec<&'static RuleMeta> = rules::registry().iter().map(|r| r.meta()).collect();
    match format {
        RulesFormat::Json => {
            let rows: Vec<serde_json::Value> = metas
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "id": m.id,
                        "family": m.family.as_str(),
                        "severity": m.severity.as_str(),
                        "confidence": m.confidence.as_str(),
                        "summary": m.summary,
                        "default_enabled": m.default_enabled,
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&rows).unwrap_or_default();
            s.push('\n');
            s
        }
        RulesFormat::Markdown => rules_markdown(&metas),
        RulesFormat::Table => {
            let mut out = String::new();
            let w = metas.iter().map(|m| m.id.len()).max().unwrap_or(2).max(2);
            let _ = writeln!(
                out,
                "{:<w$}  {:<19}  {:<8}  {:<10}  SUMMARY",
                "ID", "FAMILY", "SEVERITY", "CONFIDENCE"
            );
            for m in metas {
                let _ = writeln!(
                    out,
                    "{:<w$}  {:<19}  {:<8}  {:<10}  {}{}",
                    m.id,
                    m.family.as_str(),
                    m.severity.as_str(),
                    m.confidence.as_str(),
                    m.summary,
                    if m.default_enabled {
                        ""
                    } else {
                        " (off by default)"
                    }
                );
            }
            out
        }
    }
}
