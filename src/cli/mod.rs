//! Command-line interface: argument parsing, settings resolution, output and exit codes.

pub mod config;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use miette::{Diagnostic, IntoDiagnostic, WrapErr};

use crate::cli::config::{Config, ConfigError};
use crate::findings::{Family, Severity};
use crate::report;
use crate::rules::{self, RuleMeta};
use crate::scan::{self, NoticeKind, ScanOptions};

const EXIT_CODES: &str = "\
Exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  lanyard could not do its job (bad usage or config, unreadable path, internal error)";

const CHECK_EXAMPLES: &str = "\
Examples:
  lanyard check                          scan the current directory
  lanyard check fixtures/demo            scan the bundled demo repository
  lanyard check --format sarif -o lanyard.sarif
  lanyard check --select borrowed-credential,shared-identity
  lanyard check --ignore default-service-account --fail-on critical";

#[derive(Debug, Parser)]
#[command(
    name = "lanyard",
    version,
    about = "Static IAM linter for AI agents: finds agents running on people's credentials, shared identities, excessive scope and missing audit trails",
    after_help = EXIT_CODES,
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
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Self {
        match f {
            FailOn::Critical => Severity::Critical,
            FailOn::High => Severity::High,
            FailOn::Medium => Severity::Medium,
            FailOn::Low => Severity::Low,
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
    #[arg(long, short = 'v', help_heading = "Output")]
    verbose: bool,

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

    /// Lowest severity that makes the run fail (exit 1) [default: high, or the config's `fail-on`]
    #[arg(long, value_enum, help_heading = "Rules")]
    fail_on: Option<FailOn>,
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
    let format = Format::from_str(format, true)
        .map_err(|_| format!("unknown format `{format}` (human, json, sarif, github, markdown)"))?;
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
    #[error("unknown rule or family `{0}`")]
    #[diagnostic(code(lanyard::usage), help("`lanyard rules` lists the rule ids; families are {families}", families = family_list()))]
    UnknownRule(String),
    #[error("{0}")]
    #[diagnostic(code(lanyard::scan))]
    Scan(#[from] scan::ScanError),
    #[error("the configuration's baseline `{0}` is outside the scanned repository")]
    #[diagnostic(
        code(lanyard::config::baseline),
        help("name a baseline file inside the repository, or pass it with --baseline")
    )]
    BaselineOutside(String),
    #[error(transparent)]
    #[diagnostic(code(lanyard::diff))]
    Diff(#[from] crate::scan::diff::DiffError),
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
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(2)
        }
    }
}

/// A panic message could quote data from a scanned file; print only where it happened.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map_or_else(
            || "unknown location".to_owned(),
            |l| format!("{}:{}", l.file(), l.line()),
        );
        eprintln!(
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
            if path.exists() && !force {
                return Err(miette::miette!(
                    help = "pass --force to overwrite it",
                    "{} already exists",
                    path.display()
                ));
            }
            emit(Some(&path), crate::cli::config::STARTER.as_bytes())?;
            eprintln!("lanyard: wrote {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules(args) => {
            print_rules(args.format).into_diagnostic()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { rule } => {
            let Some(r) = rules::find(&rule) else {
                return Err(CliError::UnknownRule(rule).into());
            };
            let m = r.meta();
            println!(
                "{} ({}, {} severity, {} confidence)\n\n{}\n\n{}",
                m.id,
                m.family,
                m.severity,
                m.confidence,
                m.summary,
                m.docs_text()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Resolve rule ids and family names to rule ids.
fn resolve_rules(names: &[String]) -> Result<Vec<&'static str>, CliError> {
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
            return Err(CliError::UnknownRule(name.to_owned()));
        }
    }
    Ok(out)
}

/// Settings resolved from the command line over `lanyard.toml`.
struct Settings {
    opts: ScanOptions,
    fail_on: Severity,
    /// The baseline file named by the config, resolved against the config's directory.
    baseline: Option<PathBuf>,
}

fn settings(args: &ScanArgs, fail_on: Option<FailOn>) -> Result<Settings, CliError> {
    // Given only files (pre-commit passes the staged ones), scan the whole repository
    // from the current directory, so cross-file findings stay complete, and report only
    // what touches those files.
    let only_files = !args.paths.is_empty() && args.paths.iter().all(|p| p.is_file());
    let paths = if only_files {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let focus = only_files.then(|| {
        args.paths
            .iter()
            .map(|p| {
                p.to_string_lossy()
                    .replace('\\', "/")
                    .trim_start_matches("./")
                    .to_owned()
            })
            .collect()
    });
    let root = paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let config_root = if root.is_dir() {
        root
    } else {
        PathBuf::from(".")
    };
    let (config, config_path) = Config::load(args.config.as_deref(), &config_root)?;
    // A config found in the scanned repository may name only a baseline inside it.
    if let (None, Some(b)) = (&args.config, &config.baseline) {
        let escapes = b.is_absolute()
            || b.components().any(|c| {
                !matches!(
                    c,
                    std::path::Component::Normal(_) | std::path::Component::CurDir
                )
            });
        if escapes {
            return Err(CliError::BaselineOutside(b.display().to_string()));
        }
    }
    let baseline = config.baseline.as_ref().map(|b| {
        config_path
            .as_ref()
            .and_then(|p| p.parent())
            .map_or_else(|| b.clone(), |dir| dir.join(b))
    });

    let select: Vec<String> = if args.select.is_empty() {
        config.select.clone()
    } else {
        args.select.clone()
    };
    let ignore: Vec<String> = config.ignore.iter().chain(&args.ignore).cloned().collect();
    let mut selected = if select.is_empty() {
        rules::registry()
            .iter()
            .map(|r| r.meta())
            .filter(|m| m.default_enabled)
            .map(|m| m.id)
            .collect()
    } else {
        resolve_rules(&select)?
    };
    let ignored = resolve_rules(&ignore)?;
    selected.retain(|id| !ignored.contains(id));
    let mut severity_overrides = std::collections::HashMap::new();
    for (id, rule) in &config.rules {
        if rules::find(id).is_none() {
            return Err(CliError::UnknownRule(id.clone()));
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
    let config_dir = config_path
        .as_ref()
        .and_then(|p| p.parent())
        .map(PathBuf::from)
        .unwrap_or_default();
    let rule_files = read_rule_dirs(&config_dir, &config.rule_dirs)?;
    let config_file = match &config_path {
        Some(p) if !config.agent.is_empty() => {
            let bytes = std::fs::read(p).map_err(|source| ConfigError::Io {
                path: p.display().to_string(),
                source,
            })?;
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
    Ok(Settings {
        fail_on: fail_on
            .map(Severity::from)
            .or(config.fail_on)
            .unwrap_or(Severity::High),
        baseline,
        opts: ScanOptions {
            paths,
            respect_ignore_files: !args.no_ignore_files,
            max_file_size: args
                .max_file_size
                .or(config.max_file_size)
                .unwrap_or(scan::DEFAULT_MAX_FILE_SIZE),
            threads: args.threads.unwrap_or_else(scan::default_threads),
            rules: selected,
            exclude: config.exclude,
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

/// Every `*.toml` of the configured rule directories, in name order.
fn read_rule_dirs(
    base: &std::path::Path,
    dirs: &[PathBuf],
) -> Result<Vec<(String, String)>, CliError> {
    let mut out = Vec::new();
    for dir in dirs {
        let dir = base.join(dir);
        let io = |source| ConfigError::Io {
            path: dir.display().to_string(),
            source,
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(io)?
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|source| ConfigError::Io {
                path: f.display().to_string(),
                source,
            })?;
            out.push((f.display().to_string(), text));
        }
    }
    Ok(out)
}

/// Write to the output file, or to stdout where a closed pipe is not an error.
fn emit(output: Option<&PathBuf>, buf: &[u8]) -> miette::Result<()> {
    match output {
        Some(path) => std::fs::write(path, buf)
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot write {}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(buf).and_then(|()| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).into_diagnostic(),
                _ => Ok(()),
            }
        }
    }
}

/// `from_repo`: the path comes from a config in the scanned repository, so a link
/// (to `/proc/self/environ`, say) is refused rather than followed.
fn read_baseline(
    path: &std::path::Path,
    from_repo: bool,
) -> miette::Result<std::collections::HashSet<String>> {
    if from_repo && !std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file()) {
        return Err(miette::miette!(
            "baseline {} is a symbolic link or not a regular file; lanyard reads only regular files in the scanned repository",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot read baseline {}", path.display()))?;
    // serde's messages quote values (`invalid type: string "…"`): elide them.
    let baseline: crate::findings::suppress::Baseline = serde_json::from_str(&text)
        .map_err(|e| miette::miette!("{}", crate::cli::config::elide_quoted(&e.to_string())))
        .wrap_err_with(|| format!("{} is not a lanyard baseline", path.display()))?;
    if baseline.version != 1 {
        return Err(miette::miette!(
            "{}: unsupported baseline version {}",
            path.display(),
            baseline.version
        ));
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
    emit(Some(&args.output), text.as_bytes())?;
    eprintln!(
        "lanyard: recorded {} findings in {}",
        baseline.findings.len(),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn inventory(args: InventoryArgs) -> miette::Result<ExitCode> {
    let settings = settings(&args.scan, None)?;
    let result = scan::scan(&settings.opts).map_err(CliError::from)?;
    if args.suggest {
        let text = crate::report::inventory::suggest(&result);
        emit(args.output.as_ref(), text.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let inv = crate::report::inventory::Inventory::build(&result);
    let text = match args.format {
        InventoryFormat::Table => inv.table(),
        InventoryFormat::Mermaid => inv.mermaid(),
        InventoryFormat::Dot => inv.dot(),
        InventoryFormat::Json => {
            let mut s = serde_json::to_string_pretty(&inv).into_diagnostic()?;
            s.push('\n');
            s
        }
    };
    emit(args.output.as_ref(), text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn check(args: CheckArgs) -> miette::Result<ExitCode> {
    let Settings {
        mut opts,
        fail_on,
        baseline,
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
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let render = |format: Format, color: bool| -> miette::Result<Vec<u8>> {
        let mut buf: Vec<u8> = Vec::new();
        let input = report_input(&result, &selected);
        match format {
            Format::Human => report::human::write(
                &result,
                &report::human::HumanOptions {
                    color,
                    verbose: args.verbose,
                    fail_on: Some(fail_on),
                },
                &mut buf,
            ),
            Format::Json => report::json::write(&input, &mut buf),
            Format::Sarif => report::sarif::write(&input, &mut buf),
            Format::Github => {
                report::github::write(&input, &workspace_prefix(&opts.paths), &mut buf)
            }
            Format::Markdown => report::markdown::write(&input, &mut buf),
        }
        .into_diagnostic()?;
        Ok(buf)
    };
    let buf = render(args.format, color)?;
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
        emit(Some(&path), &render(format, false)?)?;
    }
    emit(args.output.as_ref(), &buf)?;
    if result
        .notices
        .iter()
        .any(|n| n.kind == NoticeKind::InternalError)
    {
        return Ok(ExitCode::from(2));
    }
    let failing = result.findings.iter().any(|f| f.severity() >= fail_on);
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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

fn print_rules(format: RulesFormat) -> std::io::Result<()> {
    let metas: Vec<&'static RuleMeta> = rules::registry().iter().map(|r| r.meta()).collect();
    let mut out = std::io::stdout().lock();
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
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)
        }
        RulesFormat::Markdown => out.write_all(rules_markdown(&metas).as_bytes()),
        RulesFormat::Table => {
            let w = metas.iter().map(|m| m.id.len()).max().unwrap_or(2).max(2);
            writeln!(
                out,
                "{:<w$}  {:<19}  {:<8}  {:<10}  SUMMARY",
                "ID", "FAMILY", "SEVERITY", "CONFIDENCE"
            )?;
            for m in metas {
                writeln!(
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
                )?;
            }
            Ok(())
        }
    }
}
