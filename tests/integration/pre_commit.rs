//! Real `pre-commit` (from PyPI) runs lanyard as a `language: system` hook in a temporary
//! git repository: a staged violation fails the commit, a clean change passes, and a
//! finding that needs another, unchanged file is still reported.
#![cfg(unix)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common;

/// A git repository with pre-commit installed as its commit hook, isolated from the
/// user's git configuration, hooks and pre-commit cache.
struct Repo {
    dir: tempfile::TempDir,
    root: PathBuf,
}

impl Repo {
    fn root(&self) -> &Path {
        &self.root
    }
}

fn command(repo: &Repo, program: &str) -> Command {
    let home = repo.dir.path();
    let mut cmd = Command::new(program);
    // Git sets GIT_DIR, GIT_INDEX_FILE and friends when `cargo test` runs from a hook;
    // they would point the test's git at the outer repository.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GIT_") {
            cmd.env_remove(key);
        }
    }
    cmd.current_dir(repo.root())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("xdg"))
        .env("GIT_CONFIG_GLOBAL", home.join("gitconfig"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("PRE_COMMIT_HOME", home.join("pre-commit-home"))
        .env("PRE_COMMIT_COLOR", "never")
        .env_remove("PRE_COMMIT_ALLOW_NO_CONFIG")
        .env_remove("SKIP");
    cmd
}

fn run(repo: &Repo, program: &str, args: &[&str]) -> Output {
    command(repo, program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

fn git(repo: &Repo, args: &[&str]) -> Output {
    let out = run(repo, "git", args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `git commit`, through the installed hook; its combined output.
fn commit(repo: &Repo, message: &str) -> (bool, String) {
    let out = run(repo, "git", &["commit", "-q", "-m", message]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn commits(repo: &Repo) -> usize {
    let out = run(repo, "git", &["rev-list", "--count", "HEAD"]);
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// Quote for pre-commit's `entry:`, which it splits like a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn setup() -> Repo {
    let pre_commit = Command::new("python3")
        .args(["-m", "pre_commit", "--version"])
        .output();
    match pre_commit {
        Ok(out) if out.status.success() => {}
        _ => panic!(
            "pre-commit is not installed: `python3 -m pip install pre-commit` (.ci/run does this); this test drives the real tool and does not skip"
        ),
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = Repo {
        root: dir.path().join("repo"),
        dir,
    };
    fs::create_dir_all(repo.root()).expect("writable temp dir");
    fs::write(
        repo.dir.path().join("gitconfig"),
        "[user]\n\tname = ci\n\temail = ci@example.com\n[commit]\n\tgpgsign = false\n[init]\n\tdefaultBranch = main\n",
    )
    .expect("writable temp dir");
    git(&repo, &["init", "-q"]);
    // The hook as a project using the `lanyard-system` hook would configure it, with the
    // entry pointing at the binary under test so no network or PATH lookup is needed.
    common::write(
        repo.root(),
        ".pre-commit-config.yaml",
        format!(
            "repos:\n  - repo: local\n    hooks:\n      - id: lanyard\n        name: lanyard\n        entry: {}\n        language: system\n        pass_filenames: true\n        require_serial: true\n        types: [text]\n",
            // A JSON string is a YAML double-quoted scalar.
            serde_json::to_string(&format!(
                "{} check",
                shell_quote(env!("CARGO_BIN_EXE_lanyard"))
            ))
            .expect("a string serialises")
        ),
    );
    let out = run(&repo, "python3", &["-m", "pre_commit", "install"]);
    assert!(
        out.status.success(),
        "pre-commit install: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    repo
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: NAME-agent\n  namespace: agents\nspec:\n  template:\n    spec:\n      serviceAccountName: agents\n      containers:\n        - name: NAME\n          image: ghcr.io/acme/NAME-agent:1.0\n          env:\n            - name: ANTHROPIC_API_KEY\n              valueFrom: { secretKeyRef: { name: llm-keys, key: anthropic } }\n";

#[test]
#[ignore = "needs pre-commit; .ci/run runs it"]
fn pre_commit_blocks_staged_violations_with_whole_repo_context() {
    let repo = setup();

    // A clean first commit passes the hook.
    common::write(repo.root(), "README.md", "# service\n");
    common::write(
        repo.root(),
        "k8s/triage.yaml",
        DEPLOYMENT.replace("NAME", "triage"),
    );
    git(&repo, &["add", "."]);
    let (ok, out) = commit(&repo, "clean start");
    assert!(ok, "a clean commit failed:\n{out}");
    assert!(out.contains("lanyard") && out.contains("Passed"), "{out}");
    assert_eq!(commits(&repo), 1);

    // A staged personal access token fails the commit; the token is not printed.
    let token = common::fake_pat(11);
    common::write(repo.root(), "agent.env", format!("GITHUB_TOKEN={token}\n"));
    git(&repo, &["add", "agent.env"]);
    let (ok, out) = commit(&repo, "add a token");
    assert!(!ok, "the commit with a PAT passed:\n{out}");
    assert!(out.contains("[human-token]"), "{out}");
    assert!(out.contains("agent.env"), "{out}");
    assert!(!out.contains(&token[8..]), "the token leaked:\n{out}");
    assert_eq!(commits(&repo), 1);
    git(&repo, &["rm", "-q", "--cached", "agent.env"]);
    fs::remove_file(repo.root().join("agent.env")).unwrap();

    // A second agent on the same service account: only the new file is staged, and the
    // finding names the unchanged file too, so lanyard read the whole repository.
    common::write(
        repo.root(),
        "k8s/deploy.yaml",
        DEPLOYMENT.replace("NAME", "deploy"),
    );
    git(&repo, &["add", "k8s/deploy.yaml"]);
    let (ok, out) = commit(&repo, "add the deploy agent");
    assert!(!ok, "the shared identity passed:\n{out}");
    assert!(out.contains("[identity-shared-by-agents]"), "{out}");
    assert!(out.contains("k8s/deploy.yaml"), "{out}");
    assert!(out.contains("k8s/triage.yaml"), "{out}");
    assert_eq!(commits(&repo), 1);

    // Committed anyway (bypassing the hook), the violation stays in the repository; a
    // later clean change to another file is not blamed for it.
    let out = run(
        &repo,
        "git",
        &["commit", "-q", "--no-verify", "-m", "accepted for now"],
    );
    assert!(out.status.success());
    common::write(
        repo.root(),
        "README.md",
        "# service\n\nNow with two agents.\n",
    );
    git(&repo, &["add", "README.md"]);
    let (ok, out) = commit(&repo, "docs");
    assert!(ok, "a clean change failed because of another file:\n{out}");
    assert_eq!(commits(&repo), 3);
}

#[test]
#[ignore = "needs pre-commit; .ci/run runs it"]
fn the_published_hooks_validate_and_the_system_hook_runs() {
    let repo = setup();
    let manifest = common::root().join(".pre-commit-hooks.yaml");
    let manifest_arg = manifest.to_str().expect("a UTF-8 path");
    let out = run(
        &repo,
        "python3",
        &["-m", "pre_commit", "validate-manifest", manifest_arg],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = fs::read_to_string(&manifest).expect("the manifest exists");
    for hook in [
        "- id: lanyard\n",
        "- id: lanyard-system\n",
        "- id: lanyard-docker\n",
    ] {
        assert!(text.contains(hook), "no {hook}");
    }
    assert!(text.contains("  language: rust\n") && text.contains("  language: system\n"));
    assert!(text.contains("  language: docker_image\n"));
    assert_eq!(text.matches("  entry: lanyard check\n").count(), 2);
    // The image of the release this manifest ships in (scripts/release-check.sh).
    let image = format!(
        "  entry: ghcr.io/lanyard-dev/lanyard:v{} check\n",
        env!("CARGO_PKG_VERSION")
    );
    assert!(text.contains(&image), "no {image}");
    assert_eq!(text.matches("  pass_filenames: true\n").count(), 3);

    // `pre-commit try-repo` reads the manifest from a repository as users get it; the
    // system hook finds the binary under test on PATH.
    let hooks = repo.dir.path().join("hooks-repo");
    fs::create_dir_all(&hooks).expect("writable temp dir");
    fs::copy(&manifest, hooks.join(".pre-commit-hooks.yaml")).expect("writable temp dir");
    let hooks_arg = hooks.to_str().expect("a UTF-8 path");
    let in_hooks = |args: &[&str]| {
        let out = command(&repo, "git")
            .current_dir(&hooks)
            .args(args)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}");
    };
    in_hooks(&["init", "-q"]);
    in_hooks(&["add", "."]);
    in_hooks(&["commit", "-q", "-m", "hooks"]);

    let token = common::fake_pat(11);
    common::write(repo.root(), "agent.env", format!("GITHUB_TOKEN={token}\n"));
    git(&repo, &["add", "agent.env"]);
    let path = common::path_with(&[&common::lanyard_bin_dir()], &common::inherited_path());
    let out = command(&repo, "python3")
        .env("PATH", path)
        .args(["-m", "pre_commit", "try-repo", hooks_arg, "lanyard-system"])
        .output()
        .expect("pre-commit runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("[human-token]"), "{text}");
    assert!(!text.contains(&token[8..]), "the token leaked:\n{text}");
}
