//! Redaction canaries: a fake credential for every catalog format, planted in every
//! input format lanyard reads, must be found, and no output of any reporter may show
//! more of it than its public prefix.
//!
//! What counts as a leak. Findings may show the first `v` characters of a secret `S`,
//! where `v = max(|P|, min(max(|P|, 4), |S| / 3, 12))` and `P` is the format's public
//! prefix (`ghp_`, `sk-ant-api03-`): redaction and the masked source copy keep
//! `min(max(|P|, 4), |S| / 3, 12)` characters, and the public prefix itself is no
//! secret (help texts name it). The test fails when any output contains a substring of
//! `S` of `WINDOW` (8) characters that reaches past those `v` characters, i.e.
//! `S[i..i + 8]` with `i + 8 > v`. Any shown secret character beyond the visible
//! prefix therefore fails the test as soon as it comes with seven neighbouring
//! characters of the secret (the visible prefix counts), which every real leak of a
//! token does; eight characters drawn from a 62-letter alphabet do not turn up in
//! unrelated output by chance. Multi-line secrets (PEM blocks) are also checked in
//! their `\n`-escaped form, the way JSON, YAML and TOML strings hold them.
//!
//! Covered: every reporter (human in both colour modes and verbose, JSON, SARIF,
//! GitHub, Markdown, extra `--report` files), every inventory format, the baseline
//! command and its file, and the errors for a config, a baseline and `--diff-base`.

use std::collections::BTreeMap;
use std::path::Path;

use lanyard::catalog::{Catalog, expand_template};

use crate::common;

const WINDOW: usize = 8;

/// One fake credential and the `NAME=value` line it is planted as.
struct Canary {
    id: String,
    name: String,
    secret: String,
    visible: usize,
    var: String,
    /// The value as written, raw (multi-line for a PEM block).
    value: String,
}

fn canaries() -> Vec<Canary> {
    let catalog = Catalog::builtin().expect("builtin catalog");
    let assignment =
        regex::Regex::new(r#"^\s*"?([A-Za-z_][A-Za-z0-9_]*)"?\s*[:=]\s*"?([^"\n]*?)"?\s*$"#)
            .expect("valid regex");
    let mut out = Vec::new();
    for (i, spec) in catalog.specs.iter().enumerate() {
        let template = spec
            .must_match
            .first()
            .expect("every format has an example");
        let line = expand_template(template, 0xC0FFEE + i as u64);
        let m = catalog
            .scan(line.as_bytes())
            .into_iter()
            .find(|m| m.spec == i)
            .unwrap_or_else(|| panic!("{}: its first example does not match", spec.id));
        let secret = line[m.span.range()].to_owned();
        // `C<i>_` keeps names unique (TOML and JSON keys) while the keyword stays next
        // to the value for keyword-gated formats (`…AWS_SECRET_ACCESS_KEY=`).
        let (var, value) = match assignment.captures(&line) {
            Some(c) if !line.trim_end().contains('\n') => {
                (format!("C{i}_{}", &c[1]), c[2].to_owned())
            }
            _ => (
                format!("C{i}_CANARY"),
                line.trim_end_matches('\n').to_owned(),
            ),
        };
        assert!(
            value.contains(&secret),
            "{}: the secret is not inside the planted value",
            spec.id
        );
        let chars = secret.chars().count();
        let visible = spec
            .prefix
            .len()
            .max(spec.prefix.len().max(4).min(chars / 3).min(12));
        assert!(chars >= visible + WINDOW, "{}: canary too short", spec.id);
        out.push(Canary {
            id: spec.id.clone(),
            name: spec.name.clone(),
            secret,
            visible,
            var,
            value,
        });
    }
    out
}

/// JSON, YAML double-quoted, TOML basic and HCL strings all read `\n` and `\\`.
fn escaped(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A file of the temp repository, and where each canary's value sits in it.
struct Planted {
    path: &'static str,
    text: String,
    /// Canary index → byte range of its value.
    at: BTreeMap<usize, std::ops::Range<usize>>,
}

impl Planted {
    fn new(path: &'static str, header: &str) -> Self {
        Self {
            path,
            text: header.to_owned(),
            at: BTreeMap::new(),
        }
    }

    /// Append `before`, the value, then `after`, recording where the value went.
    fn push(&mut self, i: usize, before: &str, value: &str, after: &str) {
        self.text.push_str(before);
        let start = self.text.len();
        self.text.push_str(value);
        self.at.insert(i, start..self.text.len());
        self.text.push_str(after);
    }
}

fn plant(canaries: &[Canary]) -> Vec<Planted> {
    let mut env = Planted::new(".env", "# canaries\n");
    let mut k8s = Planted::new(
        "k8s/canary-agent.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: canary-agent\n  namespace: agents\nspec:\n  template:\n    spec:\n      serviceAccountName: canary-agent\n      containers:\n        - name: agent\n          image: ghcr.io/acme/canary-agent:1.0\n          env:\n",
    );
    let mut compose = Planted::new(
        "docker-compose.yml",
        "services:\n  canary:\n    image: ghcr.io/acme/canary:1.0\n    environment:\n",
    );
    let mut mcp = Planted::new(
        ".mcp.json",
        "{\n  \"mcpServers\": {\n    \"canary\": {\n      \"command\": \"npx\",\n      \"env\": {\n",
    );
    let mut codex = Planted::new(
        ".codex/config.toml",
        "[mcp_servers.canary]\ncommand = \"npx\"\n\n[mcp_servers.canary.env]\n",
    );
    let mut tf = Planted::new(
        "infra/canary.tf",
        "resource \"aws_lambda_function\" \"canary\" {\n  function_name = \"canary\"\n  environment {\n    variables = {\n",
    );
    let mut docker = Planted::new("Dockerfile", "FROM alpine:3.20\n");
    let mut text = Planted::new("notes.txt", "Credentials someone pasted:\n\n");
    // An unclosed flow sequence: the file fails to parse, its text is still scanned.
    let mut broken = Planted::new("broken.yaml", "broken: [unclosed\n");
    let last = canaries.len().saturating_sub(1);
    for (i, c) in canaries.iter().enumerate() {
        let (var, raw) = (c.var.as_str(), c.value.as_str());
        let esc = escaped(raw);
        env.push(i, &format!("{var}=\""), &esc, "\"\n");
        k8s.push(
            i,
            &format!("            - name: {var}\n              value: \""),
            &esc,
            "\"\n",
        );
        compose.push(i, &format!("      {var}: \""), &esc, "\"\n");
        let comma = if i == last { "" } else { "," };
        mcp.push(
            i,
            &format!("        \"{var}\": \""),
            &esc,
            &format!("\"{comma}\n"),
        );
        codex.push(i, &format!("{var} = \""), &esc, "\"\n");
        tf.push(i, &format!("      {var} = \""), &esc, "\"\n");
        docker.push(i, &format!("ENV {var}=\""), &esc, "\"\n");
        text.push(i, &format!("{var}="), raw, "\n\n");
        broken.push(i, &format!("{var}: \""), &esc, "\"\n");
    }
    mcp.text.push_str("      }\n    }\n  }\n}\n");
    tf.text.push_str("    }\n  }\n}\n");
    vec![env, k8s, compose, mcp, codex, tf, docker, text, broken]
}

fn write(dir: &Path, files: &[Planted]) {
    for f in files {
        common::write(dir, f.path, &f.text);
    }
}

/// Run the binary; stdout and stderr together.
fn run(dir: &Path, args: &[&str]) -> String {
    let out = common::lanyard()
        .arg("check")
        .arg(dir)
        .args(args)
        .output()
        .expect("lanyard runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "lanyard {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The substrings of `secret` (and of its escaped form) whose presence is a leak.
fn forbidden(c: &Canary) -> Vec<String> {
    let mut out = Vec::new();
    for form in [c.secret.clone(), escaped(&c.secret)] {
        let chars: Vec<char> = form.chars().collect();
        for i in 0..chars.len().saturating_sub(WINDOW - 1) {
            if i + WINDOW > c.visible {
                out.push(chars[i..i + WINDOW].iter().collect());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn no_output_shows_a_canary_and_every_canary_is_found() {
    let canaries = canaries();
    let files = plant(&canaries);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &files);

    // Every canary is found in every file, by a credential rule naming its format.
    let json = run(dir.path(), &["--format", "json", "--color", "never"]);
    let report: serde_json::Value =
        serde_json::from_str(json.trim_end()).expect("JSON report on stdout");
    let findings = report["findings"].as_array().expect("findings array");
    let mut missing = Vec::new();
    for f in &files {
        for (i, range) in &f.at {
            let c = &canaries[*i];
            let found = findings.iter().any(|x| {
                let byte = x["location"]["start"]["byte"].as_u64().unwrap_or(u64::MAX) as usize;
                x["location"]["path"] == f.path
                    && range.contains(&byte)
                    && matches!(
                        x["rule"].as_str(),
                        Some("human-token" | "machine-secret-literal")
                    )
                    && x["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with(&format!("{}:", c.name)))
            });
            if !found {
                missing.push(format!("{} in {}", c.id, f.path));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "canaries not found:\n{}",
        missing.join("\n")
    );
    let parse_errors = report["notices"].as_array().map_or(0, |n| {
        n.iter().filter(|n| n["path"] == "broken.yaml").count()
    });
    assert!(
        parse_errors > 0,
        "broken.yaml must take the parse-error path"
    );

    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("json", vec!["--format", "json", "--color", "never"]),
        ("sarif", vec!["--format", "sarif", "--color", "never"]),
        ("human", vec!["--format", "human", "--color", "never"]),
        (
            "human verbose",
            vec!["--format", "human", "--color", "never", "--verbose"],
        ),
        (
            "human colour",
            vec!["--format", "human", "--color", "always"],
        ),
        (
            "human verbose colour",
            vec!["--format", "human", "--color", "always", "--verbose"],
        ),
    ];
    let leaks = LeakCheck::new(&canaries);
    let mut found = Vec::new();
    for (what, args) in runs {
        let output = if what == "json" {
            json.clone()
        } else {
            run(dir.path(), &args)
        };
        assert!(output.len() > 1000, "{what}: suspiciously little output");
        found.extend(leaks.find(what, &output));
    }
    found.dedup();
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n"));
}

/// One automaton over every forbidden window of every canary: outputs run to
/// megabytes.
struct LeakCheck {
    owners: Vec<(String, String)>,
    automaton: aho_corasick::AhoCorasick,
}

impl LeakCheck {
    fn new(canaries: &[Canary]) -> Self {
        Self::of(&canaries.iter().collect::<Vec<_>>())
    }

    fn of(canaries: &[&Canary]) -> Self {
        let owners: Vec<(String, String)> = canaries
            .iter()
            .flat_map(|c| forbidden(c).into_iter().map(|w| (c.id.clone(), w)))
            .collect();
        let automaton = aho_corasick::AhoCorasick::new(owners.iter().map(|(_, w)| w))
            .expect("an automaton over the windows");
        Self { owners, automaton }
    }

    fn find(&self, what: &str, output: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .automaton
            .find_overlapping_iter(output)
            .map(|m| {
                let (id, w) = &self.owners[m.pattern().as_usize()];
                format!("{what}: {id} shows `{w}`")
            })
            .collect();
        out.dedup();
        out
    }
}

/// Run any lanyard command; (exit code, stdout and stderr together).
fn run_any(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = common::lanyard().args(args).output().expect("lanyard runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// The reporters and commands the first test does not run: GitHub annotations,
/// Markdown, every inventory format, the baseline command and the file it writes.
#[test]
fn no_other_report_or_command_shows_a_canary() {
    let canaries = canaries();
    let files = plant(&canaries);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &files);
    let leaks = LeakCheck::new(&canaries);
    let mut found = Vec::new();
    for format in ["github", "markdown"] {
        let output = run(dir.path(), &["--format", format, "--color", "never"]);
        assert!(output.len() > 1000, "{format}: suspiciously little output");
        found.extend(leaks.find(format, &output));
    }
    for format in ["table", "json", "mermaid", "dot"] {
        let (code, output) = run_any(&[
            "inventory".as_ref(),
            dir.path().as_os_str(),
            "--format".as_ref(),
            format.as_ref(),
        ]);
        assert_eq!(code, 0, "inventory {format}: {output}");
        assert!(output.len() > 200, "inventory {format}: too little output");
        found.extend(leaks.find(&format!("inventory {format}"), &output));
    }
    let out = tempfile::tempdir().unwrap();
    let baseline = out.path().join("baseline.json");
    let (code, output) = run_any(&[
        "baseline".as_ref(),
        dir.path().as_os_str(),
        "-o".as_ref(),
        baseline.as_os_str(),
    ]);
    assert_eq!(code, 0, "baseline: {output}");
    found.extend(leaks.find("baseline", &output));
    let written = std::fs::read_to_string(&baseline).unwrap();
    found.extend(leaks.find("baseline file", &written));
    // Extra reports written next to the main one.
    let sarif = out.path().join("extra.sarif");
    let md = out.path().join("extra.md");
    let report = format!("markdown={}", md.display());
    let (code, output) = run_any(&[
        "check".as_ref(),
        dir.path().as_os_str(),
        "--sarif-file".as_ref(),
        sarif.as_os_str(),
        "--report".as_ref(),
        report.as_ref(),
        "--format".as_ref(),
        "github".as_ref(),
    ]);
    assert_eq!(code, 1, "{output}");
    for path in [&sarif, &md] {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.len() > 1000);
        found.extend(leaks.find(&path.display().to_string(), &text));
    }
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n"));
}

/// Error messages quote what failed to parse: a repository's `lanyard.toml` or a
/// baseline holding a canary where a number belongs must not echo it, nor may a
/// failing `--diff-base`.
#[test]
fn error_messages_do_not_show_a_canary() {
    let canaries = canaries();
    let leaks = LeakCheck::new(&canaries);
    let mut found = Vec::new();
    for c in &canaries {
        let value = escaped(&c.value);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("lanyard.toml"),
            format!("fail-on = \"high\"\nmax-file-size = \"{value}\"\n"),
        )
        .unwrap();
        let (code, output) = run_any(&["check".as_ref(), dir.path().as_os_str()]);
        assert_eq!(code, 2, "{}: the config must fail: {output}", c.id);
        assert!(output.contains("invalid config file"), "{output}");
        found.extend(leaks.find(&format!("config {}", c.id), &output));

        let empty = tempfile::tempdir().unwrap();
        let baseline = dir.path().join("baseline.json");
        std::fs::write(
            &baseline,
            format!("{{\"version\": \"{value}\", \"findings\": []}}\n"),
        )
        .unwrap();
        let (code, output) = run_any(&[
            "check".as_ref(),
            empty.path().as_os_str(),
            "--baseline".as_ref(),
            baseline.as_os_str(),
        ]);
        assert_eq!(code, 2, "{}: the baseline must fail: {output}", c.id);
        found.extend(leaks.find(&format!("baseline {}", c.id), &output));
    }
    // Not a git repository: git's error is reported, the planted files are not.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &plant(&canaries));
    let (code, output) = run_any(&[
        "check".as_ref(),
        dir.path().as_os_str(),
        "--diff-base".as_ref(),
        "main".as_ref(),
    ]);
    assert_eq!(code, 2, "{output}");
    found.extend(leaks.find("diff-base", &output));
    found.dedup();
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n"));
}

/// The leak check itself must catch a leak: one character past the visible prefix.
#[test]
fn the_leak_check_catches_one_character_too_many() {
    for c in canaries() {
        let shown: String = c.secret.chars().take(c.visible + 1).collect();
        let output = format!("evidence {shown}…");
        let leaked = forbidden(&c).iter().any(|w| output.contains(w.as_str()));
        let allowed: String = c.secret.chars().take(c.visible).collect();
        let clean = format!("evidence {allowed}…({} chars)", c.secret.len());
        assert!(
            !forbidden(&c).iter().any(|w| clean.contains(w.as_str())),
            "{}: the visible prefix alone must pass",
            c.id
        );
        // With fewer than WINDOW characters shown, one more is below the window;
        // the check is about runs of WINDOW characters.
        if c.visible + 1 >= WINDOW {
            assert!(leaked, "{}: a one-character leak went unnoticed", c.id);
        }
    }
}

/// Whether `secret` can be one component of a path (a file or directory name).
fn path_safe(secret: &str) -> bool {
    !secret.is_empty()
        && secret.len() < 200
        && !secret.contains(['/', '\0', '\n', '\r'])
        && secret != "."
        && secret != ".."
}

/// Item 3 of issue 19: secrets used as names (MCP server keys, compose services,
/// Kubernetes names and service accounts, kubeconfig users, file and directory names),
/// quoted in ignore comments (SARIF justifications, `--report-unused-ignores`), and a
/// JSON-escaped URL password: no report, inventory or baseline shows them.
#[test]
fn secrets_used_as_names_or_in_ignore_comments_are_not_shown() {
    let canaries = canaries();
    let mut files = plant(&canaries);
    let mut mcp = Planted::new("names/.mcp.json", "{\"mcpServers\": {\n");
    let mut compose = Planted::new("names/docker-compose.yml", "services:\n");
    let mut k8s = Planted::new("names/k8s/agents.yaml", "");
    let mut kube = Planted::new(
        "names/.kube/config",
        "apiVersion: v1\nkind: Config\nusers:\n",
    );
    let mut justify = Planted::new("justify.env", "");
    let mut unused = Planted::new("unused.env", "");
    let last = canaries.len() - 1;
    for (i, c) in canaries.iter().enumerate() {
        let esc = escaped(&c.secret);
        let comma = if i == last { "" } else { "," };
        mcp.push(
            i,
            "  \"",
            &esc,
            &format!("\": {{\"command\": \"npx\", \"args\": [\"-y\", \"@modelcontextprotocol/server-github\"]}}{comma}\n"),
        );
        compose.push(
            i,
            "  \"",
            &esc,
            "\":\n    image: ghcr.io/anthropics/claude-code\n    volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]\n",
        );
        k8s.push(
            i,
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"",
            &esc,
            &format!(
                "\"\n  namespace: agents\nspec:\n  template:\n    spec:\n      serviceAccountName: \"{esc}\"\n      containers:\n        - name: agent\n          image: ghcr.io/anthropics/claude-code\n"
            ),
        );
        kube.push(
            i,
            "- name: \"",
            &esc,
            "\"\n  user:\n    exec:\n      command: aws\n",
        );
        justify.push(
            i,
            "# lanyard: ignore[human-token] accepted: ",
            &format!("{}={esc}", c.var),
            &format!("\nGH_TOKEN={}\n", common::fake_pat(i % 26)),
        );
        unused.push(
            i,
            "# lanyard: ignore[",
            &esc.replace(']', ")"),
            "] reason\n",
        );
        if path_safe(&c.secret) {
            let token = common::fake_pat(i % 26);
            let name: &'static str = Box::leak(format!("tokens/{}.env", c.secret).into_boxed_str());
            files.push(Planted {
                path: name,
                text: format!("GH_TOKEN={token}\n"),
                at: BTreeMap::new(),
            });
            let name: &'static str = Box::leak(format!("dirs/{}/x.env", c.secret).into_boxed_str());
            files.push(Planted {
                path: name,
                text: format!("GH_TOKEN={token}\n"),
                at: BTreeMap::new(),
            });
        }
    }
    mcp.text.push_str("}}\n");
    files.extend([mcp, compose, k8s, kube, justify, unused]);
    // A password in a URL inside a JSON string, its slashes escaped (`\/`).
    let password = "Zq8vN2xLw4Tr9Kp3Hs6Yd1Fm";
    files.push(Planted {
        path: "escaped-url.json",
        text: format!(
            "{{\"database\": \"postgres:\\/\\/app:{password}@db.internal:5432\\/app\"}}\n"
        ),
        at: BTreeMap::new(),
    });
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &files);
    let mut leaks_of = canaries.iter().collect::<Vec<_>>();
    let url = Canary {
        id: "escaped-url-password".into(),
        name: String::new(),
        secret: password.into(),
        visible: 4,
        var: String::new(),
        value: String::new(),
    };
    leaks_of.push(&url);
    let leaks = LeakCheck::of(&leaks_of);
    let mut found = Vec::new();
    for format in ["json", "sarif", "human", "github", "markdown"] {
        let output = run(
            dir.path(),
            &[
                "--format",
                format,
                "--color",
                "never",
                "--report-unused-ignores",
            ],
        );
        assert!(output.len() > 1000, "{format}: suspiciously little output");
        found.extend(leaks.find(format, &output));
        if std::env::var_os("DEBUG_LEAK").is_some() {
            for l in output.lines().filter(|l| l.contains(" PRIVATE")) {
                eprintln!("DEBUG {format}: {}", &l[..l.len().min(300)]);
            }
        }
        if format == "sarif" {
            assert!(output.contains("\"justification\""), "no suppressed result");
        }
    }
    for args in [
        &["inventory", "--format", "table"][..],
        &["inventory", "--format", "json"][..],
        &["inventory", "--format", "mermaid"][..],
        &["inventory", "--format", "dot"][..],
        &["inventory", "--suggest"][..],
    ] {
        let mut all: Vec<&std::ffi::OsStr> = vec![args[0].as_ref(), dir.path().as_os_str()];
        all.extend(args[1..].iter().map(|a| std::ffi::OsStr::new(*a)));
        let (code, output) = run_any(&all);
        assert_eq!(code, 0, "{args:?}: {output}");
        found.extend(leaks.find(&format!("{args:?}"), &output));
    }
    let out = tempfile::tempdir().unwrap();
    let baseline = out.path().join("baseline.json");
    let (code, output) = run_any(&[
        "baseline".as_ref(),
        dir.path().as_os_str(),
        "-o".as_ref(),
        baseline.as_os_str(),
    ]);
    assert_eq!(code, 0, "{output}");
    found.extend(leaks.find("baseline", &output));
    found.extend(leaks.find(
        "baseline file",
        &std::fs::read_to_string(&baseline).unwrap(),
    ));
    found.sort();
    found.dedup();
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n"));
}

/// Item 3 of issue 19: configuration errors (unknown rule ids in `select`, `ignore`
/// and `[rules.X]`, duplicate `[[agent]]` names, `rule-dirs`, bad `exclude` globs,
/// baseline paths, lines next to the error, rule files), unknown ids and paths on the
/// command line, and a `--diff-base` ref: none shows a canary.
#[test]
fn configuration_and_command_line_errors_do_not_show_a_canary() {
    let canaries = canaries();
    let leaks = LeakCheck::new(&canaries);
    let mut found = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("r")).unwrap();
    common::git(root, &["init", "-q", "-b", "main"]);
    common::write(root, "a.env", "A=1\n");
    common::git(root, &["add", "."]);
    common::git(root, &["commit", "-q", "-m", "base"]);
    let rule_file = root.join("r/x.toml");
    for c in &canaries {
        let v = escaped(&c.secret);
        let raw = escaped(&c.value);
        let configs = [
            format!("select = [\"{v}\"]\n"),
            format!("ignore = [\"human-token\", \"{v}\"]\n"),
            format!("[rules.\"{v}\"]\nenabled = false\n"),
            format!("[[agent]]\nname = \"{v}\"\n[[agent]]\nname = \"{v}\"\n"),
            format!("rule-dirs = [\"{v}\"]\n"),
            format!("exclude = [\"{v}[\"]\n"),
            format!("baseline = \"{v}\"\n"),
            format!("baseline = \"/{v}\"\n"),
            format!(
                "# {}=\"{raw}\"\nfail-on = \"nope\"\n# {}=\"{raw}\"\n",
                c.var, c.var
            ),
            format!("# {}=\"{raw}\"\n[allow]\nvalues = 3\n", c.var),
        ];
        for (n, config) in configs.iter().enumerate() {
            std::fs::write(root.join("lanyard.toml"), config).unwrap();
            let (code, output) = run_any(&["check".as_ref(), root.as_os_str()]);
            assert_eq!(code, 2, "{}: config {n} must fail", c.id);
            found.extend(leaks.find(&format!("{} config {n}", c.id), &output));
        }
        std::fs::write(root.join("lanyard.toml"), "rule-dirs = [\"r\"]\n").unwrap();
        for (n, rules) in [
            format!("version = \"{v}\"\n"),
            format!(
                "version = 1\n[[credential]]\nid = \"{v}\"\nname = \"n\"\nprovider = \"p\"\nprincipal = \"machine\"\nlifetime = \"long-lived\"\nseverity = \"low\"\nconfidence = \"low\"\nkeywords = [\"zzzq\"]\nregex = \"{}(\"\nsecret_group = 0\nalternative = \"a\"\n",
                escaped(&regex::escape(&c.secret))
            ),
        ]
        .iter()
        .enumerate()
        {
            std::fs::write(&rule_file, rules).unwrap();
            let (code, output) = run_any(&["check".as_ref(), root.as_os_str()]);
            assert_eq!(code, 2, "{}: rule file {n} must fail", c.id);
            found.extend(leaks.find(&format!("{} rule file {n}", c.id), &output));
        }
        std::fs::remove_file(root.join("lanyard.toml")).unwrap();
        let mut cli: Vec<Vec<std::ffi::OsString>> = vec![
            vec![
                "check".into(),
                root.into(),
                "--select".into(),
                c.secret.clone().into(),
            ],
            vec![
                "check".into(),
                root.into(),
                "--diff-base".into(),
                c.secret.clone().into(),
            ],
            vec!["explain".into(), c.secret.clone().into()],
            vec![
                "check".into(),
                root.into(),
                "--fail-on".into(),
                c.secret.clone().into(),
            ],
        ];
        if path_safe(&c.secret) {
            cli.push(vec!["check".into(), root.join(&c.secret).into()]);
        }
        for (n, args) in cli.iter().enumerate() {
            let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
            let (code, output) = run_any(&args);
            assert_eq!(code, 2, "{}: command {n} must fail", c.id);
            found.extend(leaks.find(&format!("{} command {n}", c.id), &output));
        }
    }
    found.sort();
    found.dedup();
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n"));
}
