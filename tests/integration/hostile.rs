//! Hostile repositories, through the binary: every case must end with exit 0 or 1
//! (never a crash), within a hang guard, under a memory limit, with a notice where a
//! file was skipped or not parsed, and without reading through symbolic links.
//!
//! Big inputs are generated here, never committed. Discovery basics (symlinks, a FIFO,
//! binary and Latin-1 files at the library level) are in `discovery.rs`.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::{self, fake_pat, write};

/// A hang guard, not a speed test: debug builds on a shared two-core runner are slow,
/// but a parser that loops or blows up exponentially blows far past this.
const HANG_GUARD: Duration = Duration::from_secs(20);

/// Address-space limit for the child (`ulimit -v`, KiB): an alias bomb or a
/// quadratic copy dies against it instead of exhausting the runner.
const MEMORY_LIMIT_KIB: u64 = 3 * 1024 * 1024;

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    json: serde_json::Value,
}

impl Outcome {
    fn notices(&self, kind: &str) -> Vec<(String, String)> {
        self.json["notices"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|n| n["kind"] == kind)
            .map(|n| {
                (
                    n["path"].as_str().unwrap_or_default().to_owned(),
                    n["message"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    fn findings(&self) -> &[serde_json::Value] {
        self.json["findings"].as_array().map_or(&[], Vec::as_slice)
    }
}

/// `lanyard check DIR --format json ARGS` under the memory limit and the hang guard;
/// asserts exit 0 or 1.
fn check(dir: &Path, args: &[&str]) -> Outcome {
    let started = Instant::now();
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "ulimit -v {MEMORY_LIMIT_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_lanyard"))
        .arg("check")
        .arg(dir)
        .args(["--format", "json", "--color", "never"])
        .args(args);
    common::scrub_env(&mut cmd);
    let out = cmd.output().expect("lanyard runs");
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        elapsed < HANG_GUARD,
        "hang guard: {elapsed:?} (limit {HANG_GUARD:?}) on {}",
        dir.display()
    );
    let code = out.status.code().unwrap_or(-1);
    assert!(
        matches!(code, 0 | 1),
        "exit {code:?} ({:?}); stderr: {stderr}",
        out.status
    );
    let json = serde_json::from_str(&stdout).expect("a JSON report on stdout");
    Outcome {
        code,
        stdout,
        stderr,
        json,
    }
}

#[test]
fn yaml_alias_bomb_is_expanded_under_a_budget() {
    let dir = tempfile::tempdir().unwrap();
    // Billion laughs: 9^9 "lol"s if expanded naively.
    let mut yaml = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        yaml.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    write(dir.path(), "bomb.yaml", &yaml);
    // The same bomb as a Kubernetes manifest, where rules walk the tree.
    write(
        dir.path(),
        "k8s/bomb.yaml",
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n{}",
            { yaml.lines().map(|l| format!("  {l}\n")).collect::<String>() }
        ),
    );
    let out = check(dir.path(), &[]);
    assert!(out.notices("internal-error").is_empty(), "{}", out.stdout);
}

#[test]
fn deep_nesting_is_a_parse_notice_in_every_parser() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let n = 200_000;
    write(
        root,
        "deep.json",
        format!("{}{}", "[".repeat(n), "]".repeat(n)),
    );
    write(
        root,
        ".mcp.json",
        format!("{}{}", "{\"a\":".repeat(n / 5), "}".repeat(n / 5)),
    );
    let map: String = (0..3000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    write(root, "deep-map.yaml", map);
    let flow = 100_000;
    write(
        root,
        "deep-flow.yaml",
        format!("{}{}", "[".repeat(flow), "]".repeat(flow)),
    );
    write(
        root,
        "deep-tuple.tf",
        format!("a = {}{}\n", "[".repeat(flow), "]".repeat(flow)),
    );
    let blocks: String = "b {\n".repeat(20_000) + &"}\n".repeat(20_000);
    write(root, "deep-blocks.tf", blocks);
    write(
        root,
        "pyproject.toml",
        format!("a = {}{}\n", "[".repeat(flow), "]".repeat(flow)),
    );
    let out = check(root, &[]);
    let mut parse_errors: Vec<String> = out
        .notices("parse-error")
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    parse_errors.sort();
    assert_eq!(
        parse_errors,
        [
            ".mcp.json",
            "deep-blocks.tf",
            "deep-flow.yaml",
            "deep-map.yaml",
            "deep-tuple.tf",
            "deep.json",
            "pyproject.toml"
        ],
        "{}",
        out.stdout
    );
}

#[test]
fn a_sixty_megabyte_line_is_scanned_and_its_token_found() {
    let dir = tempfile::tempdir().unwrap();
    let token = fake_pat(1);
    let mut line = "x ".repeat(30_000_000);
    let at = line.len();
    line.push_str(&token);
    line.push('\n');
    write(dir.path(), "notes.txt", &line);
    drop(line);
    let out = check(dir.path(), &["--max-file-size", "100000000"]);
    let found = out.findings();
    assert_eq!(found.len(), 1, "{}", out.stdout);
    assert_eq!(found[0]["location"]["start"]["byte"], at);
    assert_eq!(found[0]["location"]["start"]["line"], 1);
    // Under the default 10 MB cap the file is skipped, with a notice.
    let out = check(dir.path(), &[]);
    assert!(out.findings().is_empty());
    let skipped = out.notices("skipped");
    assert!(
        skipped.len() == 1 && skipped[0].1.contains("limit"),
        "{skipped:?}"
    );
}

#[test]
fn binary_files_with_config_names_are_skipped_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        ".env",
        format!("GH_TOKEN={}\n\0\0\0binary", fake_pat(2)),
    );
    write(
        root,
        ".mcp.json",
        format!(
            "{{\"mcpServers\":{{\"x\":{{\"env\":{{\"T\":\"{}\"}}}}}}}}\0",
            fake_pat(3)
        ),
    );
    // A NUL past the sniffed prefix: read as text, so the token is still found.
    let mut late = format!("GH_TOKEN={}\n", fake_pat(4)).into_bytes();
    late.extend(std::iter::repeat_n(b'#', 9000));
    late.extend(b"\0\n");
    write(root, "late.env", late);
    let out = check(root, &[]);
    let mut skipped = out.notices("skipped");
    skipped.sort();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(skipped.iter().all(|(_, m)| m.contains("binary")));
    assert_eq!(skipped[0].0, ".env");
    assert_eq!(skipped[1].0, ".mcp.json");
    let paths: Vec<&str> = out
        .findings()
        .iter()
        .filter_map(|f| f["location"]["path"].as_str())
        .collect();
    assert_eq!(paths, ["late.env"]);
}

#[test]
fn invalid_utf8_in_structured_files_keeps_tokens_and_positions() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let token = fake_pat(5);
    // Latin-1 and stray bytes before the token on the same line, in three syntaxes.
    let cases = [
        (
            "k8s.yaml",
            b"# caf\xe9\nname: \x93x\x94\ntoken: \xff".to_vec(),
        ),
        (
            "settings.json",
            b"{\"note\": \"caf\xe9\", \"t\": \"\xfe".to_vec(),
        ),
        ("app.env", b"NOTE=caf\xe9\nGH_TOKEN=\xe9".to_vec()),
    ];
    let mut expected = Vec::new();
    for (name, mut bytes) in cases {
        let byte = bytes.len();
        bytes.extend(token.as_bytes());
        bytes.extend(if name.ends_with(".json") {
            &b"\"}\n"[..]
        } else {
            &b"\n"[..]
        });
        // Column: one per character, one per invalid byte.
        let line_start = bytes[..byte]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let column = bytes[line_start..byte]
            .iter()
            .filter(|b| (**b & 0xC0) != 0x80)
            .count()
            + 1;
        let line = bytes[..byte].iter().filter(|b| **b == b'\n').count() + 1;
        write(root, name, &bytes);
        expected.push((name.to_owned(), byte as u64, line as u64, column as u64));
    }
    // Fuzzing found this: a finding on part of a value after invalid bytes pointed
    // past the end of the file (the personal-identity rule, an email after `\x93`).
    write(
        root,
        "deploy.env",
        b"# \x93\x93\x93\x93\x93\x93\nGIT_AUTHOR_EMAIL=jane.doe@gmail.com\n",
    );
    let out = check(root, &[]);
    let mut got: Vec<(String, u64, u64, u64)> = out
        .findings()
        .iter()
        .filter(|f| {
            f["rule"] == "human-token"
                || f["rule"] == "machine-secret-literal"
                || f["rule"] == "user-oauth-credentials"
        })
        .map(|f| {
            let l = &f["location"];
            (
                l["path"].as_str().unwrap().to_owned(),
                l["start"]["byte"].as_u64().unwrap(),
                l["start"]["line"].as_u64().unwrap(),
                l["start"]["column"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "{}", out.stdout);
    let size = fs::metadata(root.join("deploy.env")).unwrap().len();
    for f in out.findings() {
        if f["location"]["path"] == "deploy.env" {
            assert!(f["location"]["end"]["byte"].as_u64().unwrap() <= size);
        }
    }
}

#[test]
fn bom_and_crlf_files_report_the_right_positions() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let token = fake_pat(6);
    let files = [
        (
            ".env",
            format!("\u{feff}# c\r\nA=1\r\nGH_TOKEN={token}\r\n"),
        ),
        (
            "values.yaml",
            format!("\u{feff}a: 1\r\nb:\r\n  token: \"{token}\"\r\n"),
        ),
        (
            ".mcp.json",
            format!(
                "\u{feff}{{\r\n  \"mcpServers\": {{\"x\": {{\"env\": {{\r\n    \"T\": \"{token}\"}}}}}}\r\n}}\r\n"
            ),
        ),
        (
            "main.tf",
            format!("\u{feff}locals {{\r\n  t = \"{token}\"\r\n}}\r\n"),
        ),
    ];
    for (name, text) in &files {
        write(root, name, text);
    }
    let out = check(root, &[]);
    assert!(out.notices("parse-error").is_empty(), "{}", out.stdout);
    for (name, text) in &files {
        let byte = text.find(&token).unwrap();
        let line = text[..byte].matches('\n').count() + 1;
        let line_start = text[..byte].rfind('\n').map_or(3, |i| i + 1);
        let column = text[line_start..byte].chars().count() + 1;
        let hit = out.findings().iter().find(|f| {
            f["location"]["path"] == *name && f["location"]["start"]["byte"] == byte as u64
        });
        let Some(hit) = hit else {
            panic!("{name}: no finding at byte {byte}: {}", out.stdout)
        };
        assert_eq!(hit["location"]["start"]["line"], line as u64, "{name}");
        assert_eq!(hit["location"]["start"]["column"], column as u64, "{name}");
    }
}

#[test]
fn an_empty_terraform_file_and_a_malformed_yaml_are_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let token = fake_pat(7);
    write(root, "empty.tf", "");
    write(root, "empty.yaml", "");
    write(root, ".mcp.json", "");
    write(
        root,
        "k8s/broken.yaml",
        format!("apiVersion: v1\nkind: Secret\n  bad: indent: here\n\t- [\ntoken: {token}\n"),
    );
    let out = check(root, &[]);
    let parse_errors = out.notices("parse-error");
    assert!(
        parse_errors.iter().any(|(p, _)| p == "k8s/broken.yaml"),
        "{parse_errors:?}"
    );
    // A parse error never quotes the file.
    assert!(parse_errors.iter().all(|(_, m)| !m.contains("ghp_")));
    assert!(!out.stderr.contains("ghp_"));
    // Text-level rules still ran on the broken file.
    assert!(
        out.findings()
            .iter()
            .any(|f| f["location"]["path"] == "k8s/broken.yaml")
    );
}

#[cfg(unix)]
#[test]
fn nothing_is_read_through_symlinks_into_the_rest_of_the_machine() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    let secret_file = outside.path().join("secret.env");
    fs::write(&secret_file, format!("GH_TOKEN={}\n", fake_pat(8))).unwrap();
    fs::create_dir(outside.path().join("dir")).unwrap();
    fs::write(
        outside.path().join("dir/.env"),
        format!("GH_TOKEN={}\n", fake_pat(9)),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("sub/deeper")).unwrap();
    // Names that matter: a link named like the inputs lanyard reads first.
    symlink(&secret_file, root.join(".env")).unwrap();
    symlink(&secret_file, root.join("sub/.mcp.json")).unwrap();
    symlink(outside.path().join("dir"), root.join("sub/linked-dir")).unwrap();
    symlink(root, root.join("sub/deeper/loop")).unwrap();
    symlink(root.join("sub/a"), root.join("sub/b")).unwrap();
    symlink(root.join("sub/b"), root.join("sub/a")).unwrap();
    symlink("/proc/self/environ", root.join("environ.env")).unwrap();
    symlink("/dev/zero", root.join("zero.env")).unwrap();
    let out = check(root, &[]);
    assert!(out.findings().is_empty(), "{}", out.stdout);
    let mut skipped: Vec<String> = out.notices("skipped").into_iter().map(|(p, _)| p).collect();
    skipped.sort();
    assert_eq!(
        skipped,
        [
            ".env",
            "environ.env",
            "sub/.mcp.json",
            "sub/a",
            "sub/b",
            "sub/deeper/loop",
            "sub/linked-dir",
            "zero.env"
        ]
    );
    assert_eq!(out.json["summary"]["files_scanned"], 0);
}

/// A hostile repository's `lanyard.toml` linked to the CI's environment: its parse
/// error would print every variable. A config at the scan root must be a regular file.
#[cfg(unix)]
#[test]
fn a_config_or_baseline_linked_outside_is_refused_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::os::unix::fs::symlink("/proc/self/environ", root.join("lanyard.toml")).unwrap();
    let out = common::lanyard()
        .arg("check")
        .arg(root)
        .env("LANYARD_HOSTILE_CANARY", "env-canary-value-2718")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("symbolic"), "{stderr}");
    assert!(!stderr.contains("env-canary-value-2718"), "{stderr}");

    // A config in the repository may not name a baseline outside it.
    fs::remove_file(root.join("lanyard.toml")).unwrap();
    for baseline in ["/proc/self/environ", "../outside.json"] {
        fs::write(
            root.join("lanyard.toml"),
            format!("baseline = \"{baseline}\"\n"),
        )
        .unwrap();
        let out = common::lanyard().arg("check").arg(root).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("lanyard::config::baseline"), "{stderr}");
    }
    // Nor one that is a link.
    std::os::unix::fs::symlink("/proc/self/environ", root.join("base.json")).unwrap();
    fs::write(root.join("lanyard.toml"), "baseline = \"base.json\"\n").unwrap();
    let out = common::lanyard()
        .arg("check")
        .arg(root)
        .env("LANYARD_HOSTILE_CANARY", "env-canary-value-2718")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("symbolic"), "{stderr}");
    assert!(!stderr.contains("env-canary-value-2718"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_fifo_named_env_does_not_block_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(dir.path().join(".env"))
        .status()
        .unwrap();
    assert!(status.success());
    write(dir.path(), "ok.env", format!("GH_TOKEN={}\n", fake_pat(10)));
    let out = check(dir.path(), &[]);
    assert_eq!(out.code, 1);
    assert!(out.notices("skipped").iter().any(|(p, _)| p == ".env"));
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_directories_give_a_notice() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "locked.env", format!("GH_TOKEN={}\n", fake_pat(11)));
    write(
        root,
        "locked-dir/.env",
        format!("GH_TOKEN={}\n", fake_pat(12)),
    );
    write(root, "ok.env", format!("GH_TOKEN={}\n", fake_pat(13)));
    fs::set_permissions(root.join("locked.env"), fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(root.join("locked-dir"), fs::Permissions::from_mode(0o000)).unwrap();
    let out = check(root, &[]);
    // Restore, so the temporary directory can be removed.
    fs::set_permissions(root.join("locked-dir"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(root.join("locked.env"), fs::Permissions::from_mode(0o644)).unwrap();
    // root reads anything: then only "no crash" (checked by `check`) can be asserted.
    let is_root = fs::read(root.join("locked.env")).is_ok()
        && std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if !is_root {
        let io: Vec<String> = out
            .notices("io-error")
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert!(io.iter().any(|p| p == "locked.env"), "{io:?}");
        assert!(io.iter().any(|p| p.contains("locked-dir")), "{io:?}");
    }
    assert!(
        out.findings()
            .iter()
            .any(|f| f["location"]["path"] == "ok.env")
    );
}

/// File names are repository content too: terminal escapes and line breaks in them
/// must not reach the terminal, a GitHub annotation or a JSON path unescaped.
#[cfg(unix)]
#[test]
fn file_names_with_escapes_and_newlines_are_sanitised() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let token = fake_pat(14);
    let names = [
        "\u{1b}]0;pwned\u{7}\u{1b}[2J.env",
        "line\nbreak.env",
        "::error::fake\r.env",
        "bidi\u{202e}vne.env",
    ];
    for name in names {
        write(root, name, format!("GH_TOKEN={token}\n"));
    }
    let out = check(root, &[]);
    assert_eq!(out.findings().len(), names.len(), "{}", out.stdout);
    for f in out.findings() {
        let path = f["location"]["path"].as_str().unwrap();
        assert!(
            !path.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{path:?}"
        );
    }
    for format in ["human", "github", "markdown", "sarif"] {
        let output = common::lanyard()
            .arg("check")
            .arg(root)
            .args(["--color", "never", "--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            !text.contains('\u{1b}'),
            "{format}: an escape reached stdout"
        );
        assert!(!text.contains('\u{7}'), "{format}: a bell reached stdout");
        assert!(!text.contains('\u{202e}'), "{format}: a bidi override");
        if format == "github" {
            // One workflow command per line: a name cannot start a second one.
            assert!(
                !text.lines().any(|l| l.starts_with("::error::fake")),
                "{text}"
            );
        }
    }
}

/// A panic while checking one file, proved through the binary: the `test-panic`
/// feature (on in test builds only, see `Cargo.toml`) makes the check of a file named
/// `lanyard-test-panic` panic. The run goes on, the file gets an internal-error
/// notice, the panic's details stay out of the output, and the exit code is 2.
#[test]
fn a_panic_on_one_file_is_a_notice_the_run_goes_on_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let token = fake_pat(15);
    write(
        root,
        "sub/lanyard-test-panic",
        format!("GH_TOKEN={token}\n"),
    );
    write(root, "a.env", format!("GH_TOKEN={token}\n"));
    write(root, "z.env", format!("GH_TOKEN={token}\n"));
    for format in ["json", "human", "sarif"] {
        let started = Instant::now();
        let out = common::lanyard()
            .arg("check")
            .arg(root)
            .args(["--color", "never", "--format", format, "-j", "2"])
            .output()
            .unwrap();
        assert!(started.elapsed() < HANG_GUARD, "hang guard");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{format}: {stderr}");
        assert!(stderr.contains("internal error"), "{stderr}");
        assert!(
            !stderr.contains("PANIC-PAYLOAD"),
            "the panic payload leaked"
        );
        assert!(!stdout.contains("PANIC-PAYLOAD"));
        if format == "json" {
            let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            let internal: Vec<&str> = json["notices"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["kind"] == "internal-error")
                .map(|n| n["path"].as_str().unwrap())
                .collect();
            assert_eq!(internal, ["sub/lanyard-test-panic"]);
            let paths: Vec<&str> = json["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["location"]["path"].as_str().unwrap())
                .collect();
            assert_eq!(paths, ["a.env", "z.env"], "the other files were checked");
        }
    }
}

/// `--diff-base` is the one place lanyard runs a program. A repository whose git
/// config names programs (an fsmonitor hook, an external diff, a pager, textconv)
/// must not get them run.
#[cfg(unix)]
#[test]
fn diff_base_runs_nothing_the_repository_configures() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let marker = root.join("ran");
    common::git(root, &["init", "-q", "-b", "main"]);
    write(root, "a.env", "A=1\n");
    common::git(root, &["add", "."]);
    common::git(root, &["commit", "-q", "-m", "base"]);
    let hook = root.join("hook.sh");
    fs::write(&hook, format!("#!/bin/sh\ntouch '{}'\n", marker.display())).unwrap();
    fs::set_permissions(&hook, fs::Permissions::from_mode(0o755)).unwrap();
    let hook = hook.display().to_string();
    for (key, value) in [
        ("core.fsmonitor", hook.as_str()),
        ("diff.external", hook.as_str()),
        ("core.pager", hook.as_str()),
        ("diff.env.textconv", hook.as_str()),
    ] {
        common::git(root, &["config", key, value]);
    }
    write(root, ".gitattributes", "*.env diff=env\n");
    write(root, "a.env", format!("GH_TOKEN={}\n", fake_pat(16)));
    let out = check(root, &["--diff-base", "main"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        !marker.exists(),
        "git ran a program the repository configured"
    );
}

/// Agent harness settings and command lines built from random pieces of their own
/// syntax: nothing panics (a panic would be an `internal-error` notice), in the
/// extractor or in the project pass that evaluates allow and deny rules together.
#[test]
fn harness_settings_and_command_lines_from_random_pieces_never_panic() {
    const PIECES: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        "\"",
        ",",
        ":",
        "\n",
        " ",
        "\t",
        "\\",
        "'",
        "(",
        ")",
        "*",
        ":*",
        "//",
        "~/",
        "=",
        "|",
        ";",
        "&&",
        "#",
        "$(",
        "`",
        "é",
        "\u{202e}",
        "\"permissions\"",
        "\"allow\"",
        "\"deny\"",
        "\"defaultMode\"",
        "\"bypassPermissions\"",
        "\"Bash(",
        "\"Read(",
        "mcp__",
        "\"additionalDirectories\"",
        "\"env\"",
        "approval_policy",
        "sandbox_mode",
        "\"never\"",
        "\"danger-full-access\"",
        "[profiles.",
        "[projects.",
        "trust_level",
        "writable_roots",
        "claude",
        "codex",
        "gemini",
        "npx",
        "--dangerously-skip-permissions",
        "--yolo",
        "-a",
        "--permission-mode",
        "--allowedTools",
        "--approval-mode",
        "-c",
        "approval_policy=never",
        "ENTRYPOINT",
        "CMD",
        "RUN",
        "run:",
        "command:",
        "\"scripts\"",
        "alwaysAllow",
        "autoApprove",
        "trust",
        "true",
        "false",
    ];
    const PATHS: &[&str] = &[
        ".claude/settings.json",
        ".codex/config.toml",
        ".gemini/settings.json",
        ".roo/mcp.json",
        "package.json",
        "Dockerfile",
        "Makefile",
        "run.sh",
        "docker-compose.yml",
        ".github/workflows/agent.yml",
        ".aider.conf.yml",
        "claude_desktop_config.json",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..60 {
        let mut files = Vec::new();
        for path in PATHS {
            let mut text = String::new();
            for _ in 0..(next() % 400) {
                text.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            files.push(((*path).to_owned(), text.into_bytes()));
        }
        let result = lanyard::scan::check_files(files).expect("scan runs");
        let crashed: Vec<_> = result
            .notices
            .iter()
            .filter(|n| n.kind.as_str() == "internal-error")
            .collect();
        assert!(crashed.is_empty(), "round {round}: {crashed:?}");
    }
}

// ---------------------------------------------------------------------------------
// Round two (issue 19): writes, reads, leaks, bypasses, determinism and robust I/O.
// ---------------------------------------------------------------------------------

/// What any lanyard command did; no assertion on its exit.
struct Ran {
    /// `None` when a signal ended it.
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: not JSON:\n{}\n{}", self.stdout, self.stderr))
    }
}

/// `lanyard ARGS` run from `cwd` under `ulimit -v KIB` and the hang guard.
fn run_limited(cwd: &Path, kib: u64, args: &[&std::ffi::OsStr]) -> Ran {
    let started = Instant::now();
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "ulimit -v {kib} && umask 077 && exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_lanyard"))
        .args(args)
        .current_dir(cwd);
    common::scrub_env(&mut cmd);
    let out = cmd.output().expect("lanyard runs");
    let elapsed = started.elapsed();
    assert!(elapsed < HANG_GUARD, "hang guard: {elapsed:?} for {args:?}");
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `lanyard ARGS` from `cwd`, under the usual memory limit.
fn run_in(cwd: &Path, args: &[&str]) -> Ran {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    run_limited(cwd, MEMORY_LIMIT_KIB, &args)
}

/// Every name in a directory, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("a readable directory")
        .map(|e| {
            e.expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Item 1: a pull request that commits `lanyard.sarif -> ~/.bashrc` (or a dangling
/// link, or a linked directory) must not get lanyard to write there, through any
/// output option; and what lanyard writes is written whole, mode 0644, leaving no
/// temporary file behind.
#[cfg(unix)]
#[test]
fn outputs_never_write_through_a_planted_link() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let outer = tempfile::tempdir().unwrap();
    let outside = outer.path().join("outside");
    fs::create_dir(&outside).unwrap();
    let victim = outside.join("victim");
    fs::write(&victim, "untouched\n").unwrap();
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(root, "a.env", format!("GH_TOKEN={}\n", fake_pat(17)));
    symlink(&victim, root.join("lanyard.sarif")).unwrap();
    symlink(outside.join("created"), root.join("dangling.json")).unwrap();
    symlink(&outside, root.join("reports")).unwrap();
    let planted = listing(root);
    let cases: &[&[&str]] = &[
        &["check", ".", "--sarif-file", "lanyard.sarif"],
        &["check", ".", "-o", "lanyard.sarif"],
        &["check", ".", "--output", "dangling.json"],
        &["check", ".", "--report", "json=dangling.json"],
        &["check", ".", "--report", "sarif=reports/report.sarif"],
        &["check", ".", "-o", "reports/../escaped.json"],
        &["baseline", ".", "-o", "lanyard.sarif"],
        &["baseline", ".", "-o", "reports/baseline.json"],
        &["inventory", ".", "-o", "dangling.json"],
        &["inventory", ".", "--suggest", "-o", "reports/agents.toml"],
        &["init", "dangling.json"],
        &["init", "lanyard.sarif", "--force"],
        &["init", "reports/lanyard.toml"],
    ];
    for args in cases {
        let ran = run_in(root, args);
        assert_eq!(
            ran.code,
            Some(2),
            "{args:?} must be refused: {}",
            ran.stderr
        );
        assert!(
            ran.stderr.contains("symbolic link"),
            "{args:?}: {}",
            ran.stderr
        );
        assert_eq!(
            fs::read_to_string(&victim).unwrap(),
            "untouched\n",
            "{args:?}"
        );
        assert_eq!(listing(&outside), ["victim"], "{args:?} wrote outside");
        assert_eq!(listing(outer.path()), ["outside"], "{args:?} wrote outside");
        assert_eq!(listing(root), planted, "{args:?} left a file behind");
        assert!(
            fs::symlink_metadata(root.join("lanyard.sarif"))
                .unwrap()
                .file_type()
                .is_symlink(),
            "{args:?} replaced the link"
        );
    }
    // Real files are written whole, 0644 whatever the umask (`run_in` sets 077), and
    // replace what was there.
    fs::write(root.join("old.json"), "x".repeat(100_000)).unwrap();
    let ran = run_in(
        root,
        &[
            "check",
            ".",
            "-o",
            "old.json",
            "--report",
            "sarif=new.sarif",
            "--format",
            "json",
        ],
    );
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    for name in ["old.json", "new.sarif"] {
        let path = root.join(name);
        let text = fs::read_to_string(&path).unwrap();
        let _: serde_json::Value = serde_json::from_str(&text).expect("a whole JSON document");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{name}");
    }
    let mut expected = planted.clone();
    expected.extend(["new.sarif".to_owned(), "old.json".to_owned()]);
    expected.sort();
    assert_eq!(listing(root), expected, "a temporary file was left behind");
}

/// Item 2: paths a repository's `lanyard.toml` names (`rule-dirs`, `baseline`) are
/// resolved inside the repository without following a link anywhere on the way; a
/// missing path and one outside get the same error; files are size-checked before
/// they are read (`/proc/self/pagemap` reads as gigabytes; a sparse file has no data).
#[cfg(unix)]
#[test]
fn configuration_paths_stay_inside_the_repository() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    // A catalog file outside whose parse error would print a value from it.
    fs::write(
        outside.path().join("x.toml"),
        "version = \"OUTSIDE-VALUE-31337\"\n",
    )
    .unwrap();
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(root, "a.env", "A=1\n");
    symlink(outside.path(), root.join("linked-rules")).unwrap();
    symlink("/proc/self", root.join("proc")).unwrap();
    fs::create_dir(root.join("real")).unwrap();
    symlink(outside.path(), root.join("real/inner")).unwrap();

    let refused = |config: &str| -> String {
        fs::write(root.join("lanyard.toml"), config).unwrap();
        let ran = run_in(root, &["check", "."]);
        assert_eq!(ran.code, Some(2), "{config}: {}", ran.stderr);
        assert!(
            !ran.stderr.contains("OUTSIDE-VALUE"),
            "{config}: {}",
            ran.stderr
        );
        flat(&ran.stderr)
    };
    for config in [
        "rule-dirs = [\"linked-rules\"]\n",
        "rule-dirs = [\"real/inner\"]\n",
        "rule-dirs = [\"proc\"]\n",
    ] {
        let err = refused(config);
        assert!(err.contains("inside the repository"), "{config}: {err}");
    }
    // The same words whether the path is missing, a link, or reached through one.
    let mut messages = Vec::new();
    for (config, path) in [
        ("baseline = \"missing.json\"\n", "missing.json"),
        ("baseline = \"proc/pagemap\"\n", "proc/pagemap"),
        ("baseline = \"real/inner/x.toml\"\n", "real/inner/x.toml"),
        ("baseline = \"proc\"\n", "proc"),
    ] {
        let err = refused(config);
        assert!(
            err.contains(&format!("`{path}`")),
            "{config}: the path is not named: {err}"
        );
        messages.push(err.replace(path, "PATH"));
    }
    messages.dedup();
    assert_eq!(messages.len(), 1, "an existence oracle: {messages:#?}");

    // Sparse 2 GB files: the configuration and the baseline are size-checked first.
    // The memory limit is below their size, so reading either whole fails the run.
    let big = |name: &str| {
        let f = fs::File::create(root.join(name)).unwrap();
        f.set_len(2 << 30).unwrap();
    };
    big("big.json");
    fs::write(root.join("lanyard.toml"), "baseline = \"big.json\"\n").unwrap();
    let ran = run_limited(root, 1 << 20, &["check".as_ref(), ".".as_ref()]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("limit"), "{}", ran.stderr);
    fs::remove_file(root.join("lanyard.toml")).unwrap();
    big("lanyard.toml");
    let ran = run_limited(root, 1 << 20, &["check".as_ref(), ".".as_ref()]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("limit"), "{}", ran.stderr);
}

/// A diagnostic's words, without the line wrapping and box drawing around them.
fn flat(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Item 8: a repository's `lanyard.toml` may lower `max-file-size` but not raise it
/// past the built-in maximum; a sparse 2 GB `.env` is skipped on its size, unread.
#[cfg(unix)]
#[test]
fn a_repository_config_cannot_raise_the_file_size_cap() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(root, "lanyard.toml", "max-file-size = 4000000000\n");
    let f = fs::File::create(root.join(".env")).unwrap();
    f.set_len(2 << 30).unwrap();
    let ran = run_limited(
        root,
        1 << 20,
        &[
            "check".as_ref(),
            ".".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
        ],
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    let json = ran.json();
    let skipped: Vec<&serde_json::Value> = json["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["path"] == ".env")
        .collect();
    assert_eq!(skipped.len(), 1, "{}", ran.stdout);
    assert!(
        skipped[0]["message"]
            .as_str()
            .unwrap()
            .contains("10485760 byte limit"),
        "{}",
        ran.stdout
    );
    // Lowering works.
    write(root, "lanyard.toml", "max-file-size = 10\n");
    write(root, "b.env", format!("GH_TOKEN={}\n", fake_pat(18)));
    let out = check(root, &[]);
    assert!(out.findings().is_empty(), "{}", out.stdout);
    // The operator's `--max-file-size` still raises it.
    let out = check(root, &["--max-file-size", "1000"]);
    assert_eq!(out.findings().len(), 1, "{}", out.stdout);
}

/// Item 8: custom credential rules from a repository are capped in count and in
/// regex size (a regex's compiled program can take megabytes each).
#[test]
fn custom_rule_files_are_capped_in_count_and_regex_size() {
    let rule = |id: &str, regex: &str| {
        format!(
            "version = 1\n[[credential]]\nid = \"{id}\"\nname = \"n\"\nprovider = \"p\"\nprincipal = \"machine\"\nlifetime = \"long-lived\"\nseverity = \"low\"\nconfidence = \"low\"\nkeywords = [\"zzzq\"]\nregex = '''{regex}'''\nsecret_group = 0\nalternative = \"a\"\n"
        )
    };
    // Sanity: one small rule file is fine.
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(root, "lanyard.toml", "rule-dirs = [\"rules\"]\n");
    write(root, "rules/a.toml", rule("custom-a", "zzzq[0-9]{8}"));
    write(root, "notes.txt", "zzzq12345678\n");
    let ran = run_in(root, &["check", ".", "--format", "json"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);

    // Many files.
    for i in 0..200 {
        write(
            root,
            &format!("rules/r{i:03}.toml"),
            rule(&format!("custom-{i}"), "zzzq[0-9]{8}"),
        );
    }
    let ran = run_in(root, &["check", "."]);
    assert_eq!(ran.code, Some(2), "200 rule files: {}", ran.stderr);
    assert!(ran.stderr.contains("at most"), "{}", ran.stderr);
    fs::remove_dir_all(root.join("rules")).unwrap();

    // A regex whose compiled program takes megabytes (under the catalog's own limit).
    write(root, "rules/a.toml", rule("custom-big", "zzzq[a-z]{20000}"));
    let ran = run_in(root, &["check", "."]);
    assert_eq!(ran.code, Some(2), "a big regex: {}", ran.stderr);
    assert!(ran.stderr.contains("regex"), "{}", ran.stderr);
}

/// Lines as a GitHub runner reads them: `\n`, `\r\n` and a lone `\r` all end one.
fn runner_lines(text: &str) -> Vec<&str> {
    text.split(['\n', '\r']).collect()
}

/// Whether a line would be taken for a workflow command by the runner, which trims
/// whitespace before looking for `::`, and finds the legacy `##[` anywhere.
fn is_command(line: &str) -> bool {
    line.trim().starts_with("::") || line.contains("##[")
}

/// Item 4: names with line breaks (a Kubernetes workload, a compose service, an MCP
/// server), a lone carriage return in a quoted line and in a file name: no line of any
/// format may start a workflow command that lanyard did not write.
#[cfg(unix)]
#[test]
fn no_output_line_can_start_a_workflow_command() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let token = fake_pat(19);
    write(
        root,
        "k8s/agent.yaml",
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"claude-agent\\n::error::forged-k8s\"\n  namespace: \"agents\\r::warning::forged-ns\"\nspec:\n  template:\n    spec:\n      serviceAccountName: \"sa\\n::add-mask::x\"\n      containers:\n        - name: agent\n          image: ghcr.io/anthropics/claude-code\n          env:\n            - name: GH_TOKEN\n              value: \"{token}\"\n"
        ),
    );
    write(
        root,
        "docker-compose.yml",
        format!(
            "services:\n  \"agent\\n::error::forged-compose\":\n    image: ghcr.io/acme/agent\n    environment:\n      GH_TOKEN: \"{token}\"\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n"
        ),
    );
    write(
        root,
        ".mcp.json",
        format!(
            "{{\"mcpServers\": {{\"gh\\n::error::forged-mcp\\r##[error]legacy\": {{\"command\": \"npx\", \"env\": {{\"GITHUB_PERSONAL_ACCESS_TOKEN\": \"{token}\"}}}}}}}}\n"
        ),
    );
    write(
        root,
        "cr.env",
        format!("A=1\r::error::forged-cr ##[warning]x\nGH_TOKEN={token}\n"),
    );
    write(root, "cr\r::error::name.env", format!("GH_TOKEN={token}\n"));
    let mut outputs: Vec<(String, String)> = Vec::new();
    for format in ["human", "json", "sarif", "markdown", "github"] {
        for extra in [&[][..], &["--verbose", "--report-unused-ignores"][..]] {
            let mut args = vec!["check", ".", "--format", format, "--color", "never"];
            args.extend(extra);
            let ran = run_in(root, &args);
            assert_eq!(ran.code, Some(1), "{format}: {}", ran.stderr);
            outputs.push((format!("{format} {extra:?}"), ran.stdout));
            outputs.push((format!("{format} {extra:?} stderr"), ran.stderr));
        }
    }
    for format in ["table", "json", "mermaid", "dot"] {
        let ran = run_in(root, &["inventory", ".", "--format", format]);
        assert_eq!(ran.code, Some(0), "{format}: {}", ran.stderr);
        assert!(
            ran.stdout.contains("forged"),
            "{format}: the names are shown"
        );
        outputs.push((format!("inventory {format}"), ran.stdout));
    }
    let ran = run_in(root, &["inventory", ".", "--suggest"]);
    outputs.push(("inventory --suggest".to_owned(), ran.stdout));
    for (what, text) in &outputs {
        for line in runner_lines(text) {
            let ours = what.starts_with("github")
                && !what.ends_with("stderr")
                && ["::error file=", "::warning file=", "::notice file="]
                    .iter()
                    .any(|p| line.starts_with(p))
                && !line.contains("##[");
            assert!(
                ours || !is_command(line),
                "{what}: a line starts a workflow command: {line:?}"
            );
        }
    }
    // GitHub annotations: one line per finding, and nothing else.
    let ran = run_in(root, &["check", ".", "--format", "json"]);
    let findings = ran.json()["findings"].as_array().unwrap().len();
    let ran = run_in(root, &["check", ".", "--format", "github"]);
    assert_eq!(runner_lines(ran.stdout.trim_end()).len(), findings);
}

/// Item 5: a repository's `.ignore` or `.gitignore` cannot hide files git tracks;
/// ignored untracked files stay skipped; a scan of nothing says so, and
/// `--fail-on-empty` makes it fail.
#[test]
fn ignore_files_cannot_hide_tracked_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::git(root, &["init", "-q", "-b", "main"]);
    write(root, ".env", format!("GH_TOKEN={}\n", fake_pat(20)));
    write(
        root,
        "deep/dir/.mcp.json",
        format!(
            "{{\"mcpServers\": {{\"gh\": {{\"command\": \"npx\", \"env\": {{\"GITHUB_PERSONAL_ACCESS_TOKEN\": \"{}\"}}}}}}}}\n",
            fake_pat(21)
        ),
    );
    common::git(root, &["add", "."]);
    common::git(root, &["commit", "-q", "-m", "base"]);
    // Hide everything, after the fact.
    write(root, ".ignore", "*\n");
    write(root, ".gitignore", "*\n!.gitignore\n");
    write(root, "deep/.gitignore", "*\n");
    // Untracked and ignored: stays skipped (a developer's local secrets).
    write(root, "local.env", format!("GH_TOKEN={}\n", fake_pat(22)));
    let out = check(root, &[]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let mut paths: Vec<&str> = out
        .findings()
        .iter()
        .filter_map(|f| f["location"]["path"].as_str())
        .collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths, [".env", "deep/dir/.mcp.json"], "{}", out.stdout);
    let coverage = out.notices("coverage");
    assert!(
        coverage
            .iter()
            .any(|(_, m)| m.contains("2 of the 2 files git tracks")),
        "{coverage:?}"
    );
    // A subdirectory of the repository as the root: the tracked files under it.
    let out = check(&root.join("deep"), &[]);
    assert!(
        out.findings()
            .iter()
            .all(|f| f["location"]["path"] == "dir/.mcp.json"),
        "{}",
        out.stdout
    );
    assert!(!out.findings().is_empty(), "{}", out.stdout);
    // `--no-ignore-files` scans the untracked one too.
    let out = check(root, &["--no-ignore-files"]);
    assert!(
        out.findings()
            .iter()
            .any(|f| f["location"]["path"] == "local.env"),
        "{}",
        out.stdout
    );
}

/// Item 5: zero files scanned is a notice; `--fail-on-empty` turns it into exit 2.
#[test]
#[ignore = "needs Python jsonschema; .ci/run runs it"]
fn an_empty_scan_is_a_notice_and_fail_on_empty_fails_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".ignore", "*\n");
    write(root, "a.env", format!("GH_TOKEN={}\n", fake_pat(23)));
    let out = check(root, &[]);
    assert_eq!(out.code, 0);
    assert_eq!(out.json["summary"]["files_scanned"], 0);
    let coverage = out.notices("coverage");
    assert!(
        coverage
            .iter()
            .any(|(_, m)| m.contains("no file was scanned")),
        "{}",
        out.stdout
    );
    // The new notice kind is in the documented schema.
    let report = dir.path().join("report.json");
    fs::write(&report, &out.stdout).unwrap();
    common::validate_schema(
        &common::root().join("docs/json-output.schema.json"),
        &report,
    )
    .unwrap_or_else(|e| panic!("the JSON report does not match its schema: {e}"));
    fs::remove_file(&report).unwrap();
    let human = run_in(root, &["check", "."]);
    assert!(
        human.stdout.contains("no file was scanned"),
        "{}",
        human.stdout
    );
    let ran = run_in(root, &["check", ".", "--fail-on-empty"]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("--fail-on-empty"), "{}", ran.stderr);
    // Something scanned: no notice, and `--fail-on-empty` changes nothing.
    fs::remove_file(root.join(".ignore")).unwrap();
    let ran = run_in(root, &["check", ".", "--fail-on-empty"]);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
}

/// Item 6: `--diff-base` runs no program a repository configures, key by key: filter
/// drivers (clean, smudge, process), hooks (through `core.hooksPath` and in
/// `.git/hooks`), and the keys the first test covers. For the keys git's diff
/// triggers, plain git is run first to prove the setup does run the program.
#[cfg(unix)]
#[test]
fn diff_base_runs_no_filter_hook_or_other_program() {
    use std::os::unix::fs::PermissionsExt;
    let keys: &[(&str, bool)] = &[
        ("filter.evil.clean", true),
        ("filter.evil.process", true),
        ("filter.evil.smudge", false),
        ("core.hooksPath", false),
        ("hooks-dir", false),
        ("core.fsmonitor", true),
        ("diff.external", false),
        ("diff.evil.textconv", false),
        ("diff.evil.command", false),
        ("core.pager", false),
    ];
    for (key, plain_git_runs_it) in keys {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let marker = root.join("ran");
        common::git(root, &["init", "-q", "-b", "main"]);
        write(root, "a.env", "A=1\n");
        common::git(root, &["add", "."]);
        common::git(root, &["commit", "-q", "-m", "base"]);
        let hooks = root.join("hooks");
        fs::create_dir(&hooks).unwrap();
        let program = root.join("program.sh");
        fs::write(
            &program,
            format!("#!/bin/sh\ntouch '{}'\ncat\n", marker.display()),
        )
        .unwrap();
        fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).unwrap();
        for hook in ["post-index-change", "pre-auto-gc", "reference-transaction"] {
            let path = hooks.join(hook);
            fs::copy(&program, &path).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let program = program.display().to_string();
        match *key {
            "hooks-dir" => {
                for hook in ["post-index-change", "pre-auto-gc", "reference-transaction"] {
                    fs::copy(hooks.join(hook), root.join(".git/hooks").join(hook)).unwrap();
                }
            }
            "core.hooksPath" => common::git(root, &["config", key, &hooks.display().to_string()]),
            _ => common::git(root, &["config", key, &program]),
        }
        write(root, ".gitattributes", "*.env filter=evil diff=evil\n");
        write(root, "a.env", format!("GH_TOKEN={}\n", fake_pat(24)));
        if *plain_git_runs_it {
            let status = std::process::Command::new("git")
                .arg("-C")
                .arg(root)
                .args(["diff", "--name-only", "--merge-base", "main", "--"])
                .output()
                .unwrap();
            assert!(status.status.code().is_some());
            assert!(
                marker.exists(),
                "{key}: plain git does not run it, the test proves nothing"
            );
            fs::remove_file(&marker).unwrap();
            // Make the index stale again, so git has to look at the file's content.
            write(root, "a.env", format!("GH_TOKEN={}\n", fake_pat(25)));
        }
        let out = check(root, &["--diff-base", "main"]);
        assert_eq!(out.code, 1, "{key}: {}", out.stderr);
        assert!(
            !marker.exists(),
            "{key}: git ran a program the repository configured"
        );
    }
}

/// Item 7 (and issue 18): file arguments outside the current directory are scanned,
/// not swapped for a scan of the current directory; a root that cannot be scanned as
/// pointed (missing, not a file or directory, unreadable) fails with exit 2, and a
/// missing one is reported once.
#[cfg(unix)]
#[test]
fn paths_are_scanned_where_the_user_points_or_the_run_fails() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().join("cwd");
    let other = dir.path().join("other");
    fs::create_dir_all(&cwd).unwrap();
    write(&other, ".env", format!("GH_TOKEN={}\n", fake_pat(26)));
    write(&other, "b.env", format!("GH_TOKEN={}\n", fake_pat(27)));
    let abs = other.join(".env");
    let abs = abs.to_str().unwrap();
    for args in [
        &["check", "../other/.env", "--format", "json"][..],
        &["check", abs, "--format", "json"][..],
        &[
            "check",
            "../other/.env",
            "../other/b.env",
            "--format",
            "json",
        ][..],
    ] {
        let ran = run_in(&cwd, args);
        assert_eq!(ran.code, Some(1), "{args:?}: {}", ran.stderr);
        let json = ran.json();
        let files = args.iter().filter(|a| a.contains(".env")).count();
        assert_eq!(json["summary"]["files_scanned"], files, "{args:?}");
        assert_eq!(
            json["findings"].as_array().unwrap().len(),
            files,
            "{args:?}"
        );
    }
    // Inside the current directory, files still mean "the repository, reporting only
    // these" (pre-commit passes staged files).
    write(&cwd, "x.env", format!("GH_TOKEN={}\n", fake_pat(28)));
    write(&cwd, "y.env", format!("GH_TOKEN={}\n", fake_pat(29)));
    let ran = run_in(&cwd, &["check", "x.env", "--format", "json"]);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert_eq!(ran.json()["summary"]["files_scanned"], 2);
    assert_eq!(ran.json()["findings"].as_array().unwrap().len(), 1);

    // A missing path: exit 2, said once.
    let ran = run_in(&cwd, &["check", "missing-dir"]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert_eq!(
        ran.stderr.matches("missing-dir").count(),
        1,
        "{}",
        ran.stderr
    );
    // A FIFO as the root: not a file or directory lanyard can scan.
    let fifo = dir.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let ran = run_in(&cwd, &["check", fifo.to_str().unwrap()]);
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    // An unreadable directory as the root (root reads anything: then skip this).
    use std::os::unix::fs::PermissionsExt;
    let locked = dir.path().join("locked");
    write(&locked, "a.env", format!("GH_TOKEN={}\n", fake_pat(30)));
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let readable = fs::read_dir(&locked).is_ok();
    let ran = run_in(&cwd, &["check", locked.to_str().unwrap()]);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    if !readable {
        assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    }
}

/// Item 9: the same bytes whatever the thread count. Two files in one Terraform
/// module define `aws_iam_role.agent`; with 1,500 files in between, which definition a
/// reference resolves to (and the related locations it brings) depended on which
/// worker finished first.
#[test]
fn output_is_byte_identical_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let demo = common::fixture("demo");
    for entry in walk(&demo) {
        let rel = entry.strip_prefix(&demo).unwrap();
        write(root, rel.to_str().unwrap(), fs::read(&entry).unwrap());
    }
    write(
        root,
        "infra/zz.tf",
        "resource \"aws_iam_role\" \"agent\" {\n  name = \"agent-other\"\n}\nresource \"aws_bedrockagent_agent\" \"helper\" {\n  agent_name              = \"helper-agent\"\n  agent_resource_role_arn = aws_iam_role.agent.arn\n  foundation_model        = \"anthropic.claude-3-5-sonnet-20240620-v1:0\"\n}\n",
    );
    for i in 1..=3 {
        write(
            root,
            &format!("more/agent{i}.tf"),
            format!(
                "resource \"aws_bedrockagent_agent\" \"a{i}\" {{\n  agent_name              = \"agent-{i}\"\n  agent_resource_role_arn = \"arn:aws:iam::123456789012:role/agent-runtime\"\n  foundation_model        = \"anthropic.claude-3-5-sonnet-20240620-v1:0\"\n}}\n"
            ),
        );
    }
    for i in 0..1500 {
        write(root, &format!("infra/filler{i}.txt"), format!("y{i}\n"));
    }
    for format in ["json", "sarif", "human"] {
        let one = run_in(root, &["check", ".", "--format", format, "-j", "1"]);
        assert_eq!(one.code, Some(1), "{}", one.stderr);
        for run in 0..12 {
            let threads = (2 + run % 3).to_string();
            let many = run_in(root, &["check", ".", "--format", format, "-j", &threads]);
            assert!(
                many.stdout == one.stdout,
                "{format}: -j {threads} differs from -j 1 (run {run})"
            );
        }
    }
    let one = run_in(root, &["inventory", ".", "--format", "json", "-j", "1"]);
    for threads in ["2", "3", "4", "2", "3", "4"] {
        let many = run_in(root, &["inventory", ".", "--format", "json", "-j", threads]);
        assert!(many.stdout == one.stdout, "inventory: -j {threads} differs");
    }
}

/// Every regular file under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("a readable directory") {
            let e = e.expect("a directory entry");
            let t = e.file_type().expect("a file type");
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                out.push(e.path());
            }
        }
    }
    out
}

/// Item 10: a closed stdout (the reader of a pipe gone: `lanyard rules | head -0`) or a
/// closed stderr ends the run quietly, never with a panic or SIGABRT.
#[cfg(unix)]
#[test]
fn a_closed_stdout_or_stderr_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.env", format!("GH_TOKEN={}\n", fake_pat(31)));
    let bin = env!("CARGO_BIN_EXE_lanyard");
    // `sh` starts lanyard after the reader (`true`) has exited, so its first write
    // meets a closed pipe; lanyard's own status is echoed on stderr.
    let piped = |args: &str| -> (String, String) {
        let mut cmd = std::process::Command::new("bash");
        cmd.arg("-c")
            .arg(format!(
                "{{ sleep 0.3; \"$0\" {args}; echo \"status=$?\" >&2; }} | true"
            ))
            .arg(bin)
            .current_dir(dir.path());
        common::scrub_env(&mut cmd);
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let status = stderr
            .lines()
            .find_map(|l| l.strip_prefix("status="))
            .unwrap_or("none")
            .to_owned();
        (status, stderr)
    };
    for (args, status) in [
        ("explain human-token", "0"),
        ("rules", "0"),
        ("rules --format json", "0"),
        ("check . --color never", "1"),
        ("check . --format json", "1"),
        ("inventory .", "0"),
    ] {
        let (got, stderr) = piped(args);
        assert_eq!(got, status, "{args}: {stderr}");
        assert!(!stderr.contains("internal error"), "{args}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args}: {stderr}");
    }
    // Closed stderr (`2>&-`), with something to say there: no abort.
    for (args, status) in [("explain no-such-rule", 2), ("check missing-dir", 2)] {
        let mut cmd = std::process::Command::new("sh");
        cmd.arg("-c")
            .arg(format!("exec 2>&-; exec \"$0\" {args}"))
            .arg(bin)
            .current_dir(dir.path());
        common::scrub_env(&mut cmd);
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(status), "{args}: {:?}", out.status);
    }
    // Closed stdout (`>&-`): what is written there is lost, quietly; the exit code
    // still says what was found.
    for (args, status) in [
        ("check . --color never", 1),
        ("rules", 0),
        ("explain human-token", 0),
    ] {
        let mut cmd = std::process::Command::new("sh");
        cmd.arg("-c")
            .arg(format!("exec >&-; exec \"$0\" {args}"))
            .arg(bin)
            .current_dir(dir.path());
        common::scrub_env(&mut cmd);
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(status), "{args}: {stderr}");
        assert!(!stderr.contains("internal error"), "{args}: {stderr}");
    }
}

/// Item 10: two files whose names differ only in invalid UTF-8 bytes are two files,
/// each reported with its own snippet; so are names that differ only in control
/// characters.
#[cfg(target_os = "linux")]
#[test]
fn names_differing_only_in_invalid_utf8_are_two_files() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let names: [&[u8]; 4] = [b"a\xff.env", b"a\xfe.env", b"b\x01.env", b"b\x02.env"];
    for (i, name) in names.iter().enumerate() {
        let path = root.join(std::ffi::OsStr::from_bytes(name));
        fs::write(
            &path,
            format!("{}GH_TOKEN={}\n", "#\n".repeat(i), fake_pat(32 + i)),
        )
        .unwrap();
    }
    let out = check(root, &[]);
    let mut found: Vec<(String, u64)> = out
        .findings()
        .iter()
        .map(|f| {
            (
                f["location"]["path"].as_str().unwrap().to_owned(),
                f["location"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    found.dedup();
    assert_eq!(found.len(), 4, "{found:?}");
    let paths: std::collections::BTreeSet<&String> = found.iter().map(|(p, _)| p).collect();
    assert_eq!(paths.len(), 4, "{found:?}");
    // Each finding's line is its own file's (1, 2, 3, 4), not another's.
    let mut lines: Vec<u64> = found.iter().map(|(_, l)| *l).collect();
    lines.sort();
    assert_eq!(lines, [1, 2, 3, 4]);
    let human = run_in(root, &["check", ".", "--color", "never"]);
    assert_eq!(human.code, Some(1), "{}", human.stderr);
}

/// `lanyard ARGS` run in `cwd`: exit code, stdout, stderr.
fn lanyard_in(cwd: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = common::lanyard()
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("lanyard runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Whether text holds a character a terminal or a viewer acts on: C0 controls (ESC,
/// BEL, ...), C1 controls (CSI, OSC as single code points) and bidi overrides. Line
/// breaks and tabs are the outputs' own.
fn acts_on_terminal(text: &str) -> Option<char> {
    text.chars().find(|c| {
        (c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

/// Every string of a JSON document, for outputs whose escapes (`\u001b`) hide a
/// control character from a byte search: a consumer decodes it back.
fn json_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_strings(x, out)),
        serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.push(k.clone());
            json_strings(x, out);
        }),
        _ => {}
    }
}

/// Issue 14 item 8: workload names are repository content, added to findings after
/// they are built (holders, agents sharing an identity) and shown by the inventory. An
/// OSC-8 hyperlink, a CSI sequence, a bell and a bidi override in a Deployment, a
/// compose service, an MCP server and a workflow job name reach no output raw, in any
/// format of `check` and `inventory`.
#[test]
fn workload_names_with_escapes_reach_no_output_raw() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // An OSC-8 link that shows `triage` and points elsewhere, and a screen clear.
    let osc8 = "\\e]8;;https://evil.example/\\e\\\\triage\\e]8;;\\e\\\\\\e[2J\\a";
    write(
        root,
        "k8s/agent.yaml",
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"{osc8}\u{202e}agent\"\n  namespace: agents\nspec:\n  template:\n    spec:\n      serviceAccountName: agents\n      containers:\n        - name: agent\n          image: ghcr.io/acme/agent:1\n          env:\n            - name: ANTHROPIC_API_KEY\n              valueFrom: {{ secretKeyRef: {{ name: llm, key: anthropic }} }}\n          securityContext:\n            privileged: true\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"second\\e]8;;https://evil.example/\\e\\\\\"\n  namespace: agents\nspec:\n  template:\n    spec:\n      serviceAccountName: agents\n      containers:\n        - name: agent\n          image: ghcr.io/acme/agent:1\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: \"admin\\e[31m\"\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n  - kind: ServiceAccount\n    name: agents\n    namespace: agents\n"
        ),
    );
    write(
        root,
        "docker-compose.yml",
        "services:\n  \"tools\\e]8;;https://evil.example/\\e\\\\x\\e]8;;\\e\\\\\":\n    image: ghcr.io/acme/tools:1\n    environment:\n      - OPENAI_API_KEY=${OPENAI_API_KEY}\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n",
    );
    write(
        root,
        ".mcp.json",
        "{\"mcpServers\": {\"fs\\u001b]8;;https://evil.example/\\u0007x\\u001b[2J\": {\"command\": \"npx\", \"args\": [\"-y\", \"@modelcontextprotocol/server-filesystem\", \"/\"]}}}\n",
    );
    write(
        root,
        ".github/workflows/agent.yml",
        "on: push\njobs:\n  \"review\\e]8;;https://evil.example/\\e\\\\\":\n    runs-on: ubuntu-latest\n    steps:\n      - uses: anthropics/claude-code-action@v1\n        with:\n          anthropic_api_key: ${{ secrets.ANTHROPIC_API_KEY }}\n",
    );
    let mut outputs: Vec<(String, String)> = Vec::new();
    for format in ["human", "json", "sarif", "markdown", "github"] {
        let (code, stdout, stderr) = lanyard_in(
            root,
            &["check", ".", "--format", format, "--color", "never"],
        );
        assert_eq!(code, Some(1), "{format}: {stderr}");
        outputs.push((format!("check {format}"), stdout));
        outputs.push((format!("check {format} stderr"), stderr));
    }
    for format in ["table", "json", "mermaid", "dot"] {
        let (code, stdout, stderr) = lanyard_in(root, &["inventory", ".", "--format", format]);
        assert_eq!(code, Some(0), "{format}: {stderr}");
        assert!(stdout.contains("triage"), "{format}: the names are shown");
        outputs.push((format!("inventory {format}"), stdout));
    }
    let (_, stdout, _) = lanyard_in(root, &["inventory", ".", "--suggest"]);
    outputs.push(("inventory --suggest".to_owned(), stdout));
    for (what, text) in &outputs {
        assert_eq!(acts_on_terminal(text), None, "{what}: {text}");
        if (what.contains("json") || what.contains("sarif")) && !what.ends_with("stderr") {
            let doc: serde_json::Value = serde_json::from_str(text).unwrap();
            let mut strings = Vec::new();
            json_strings(&doc, &mut strings);
            for s in strings {
                assert_eq!(acts_on_terminal(&s), None, "{what}: {s:?}");
            }
        }
    }
    // The findings that name the workloads are there to be checked at all.
    let (_, stdout, _) = lanyard_in(root, &["check", ".", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let rules: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default().to_owned())
        .collect();
    for rule in [
        "agent-host-escape",
        "identity-shared-by-agents",
        "k8s-broad-rbac",
    ] {
        assert!(rules.iter().any(|r| r == rule), "{rule} in {rules:?}");
    }
}
