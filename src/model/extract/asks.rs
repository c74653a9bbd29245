//! Places where a file asks its user for a credential: MCP registry `server.json`
//! (`environmentVariables`, package and runtime arguments, remote `headers`), desktop
//! extension `manifest.json` and Claude Code plugin `userConfig`, Smithery
//! `configSchema`, VS Code `inputs`, and the keys of `.env` templates. Whether an ask is
//! for a person's credential is the rules' question (through the catalog's names
//! table); this module only finds the asks and what each is called.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::catalog::is_placeholder;
use crate::model::facts::{AskSource, CredentialAsk, FileFacts};
use crate::model::names::credential_like;
use crate::syntax::classify::FileKind;
use crate::syntax::doc::{Document, Node};

use super::Extract;
use super::refs::{RefKind, references};

/// `.env` files that are templates for others to fill in.
pub fn is_env_template(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    const MARKERS: [&str; 6] = ["example", "sample", "dist", "template", "tpl", "defaults"];
    let stem_marked = |s: &str| MARKERS.iter().any(|m| s.split('.').any(|p| p == *m));
    (name.starts_with(".env") || name.ends_with(".env") || name.starts_with("env."))
        && stem_marked(&name)
}

impl Extract<'_> {
    pub(super) fn asks(&self, kind: FileKind, doc: &Document, facts: &mut FileFacts) {
        let name = self
            .path
            .rsplit('/')
            .next()
            .unwrap_or(self.path)
            .to_ascii_lowercase();
        let root = &doc.root;
        let before = facts.asks.len();
        match kind {
            FileKind::Dotenv if is_env_template(self.path) => env_template(root, facts),
            FileKind::McpConfig => {
                inputs(root, facts);
                extension(root, facts);
            }
            FileKind::Json if is_registry(&name, root) => registry(root, facts),
            FileKind::Json | FileKind::Yaml => {
                extension(root, facts);
                smithery(root, facts);
            }
            _ => {}
        }
        // Each schema is its own group unless a helper set finer ones.
        let group = next_group(facts);
        for a in &mut facts.asks[before..] {
            if a.group == usize::MAX {
                a.group = group;
            }
        }
    }
}

fn next_group(facts: &FileFacts) -> usize {
    facts
        .asks
        .iter()
        .filter(|a| a.group != usize::MAX)
        .map(|a| a.group + 1)
        .max()
        .unwrap_or(0)
}

fn ask(source: AskSource, name: &str, node: &Node) -> CredentialAsk {
    CredentialAsk {
        source,
        name: name.to_owned(),
        aliases: Vec::new(),
        description: String::new(),
        secret: false,
        server: String::new(),
        span: node.span,
        group: usize::MAX,
    }
}

fn text_of(node: Option<&Node>) -> String {
    node.and_then(Node::as_text).unwrap_or_default().to_owned()
}

fn flag(node: Option<&Node>) -> bool {
    node.and_then(Node::as_bool)
        .or_else(|| node.and_then(Node::as_str).map(|s| s == "true"))
        .unwrap_or(false)
}

/// A registry `server.json`: `packages` or `remotes`, under that file name or with
/// registry fields.
fn is_registry(name: &str, root: &Node) -> bool {
    let shaped = root.get("packages").is_some_and(Node::is_seq)
        || root.get("remotes").is_some_and(Node::is_seq);
    let schema = root
        .get("$schema")
        .and_then(Node::as_str)
        .is_some_and(|s| s.contains("modelcontextprotocol"));
    shaped && (name == "server.json" || schema)
}

fn registry(root: &Node, facts: &mut FileFacts) {
    let server = text_of(root.get("name"));
    let mut group = next_group(facts);
    for package in root.get("packages").map(Node::items).unwrap_or_default() {
        let server = package
            .get("identifier")
            .and_then(Node::as_str)
            .unwrap_or(&server)
            .to_owned();
        for var in package
            .get("environmentVariables")
            .map(Node::items)
            .unwrap_or_default()
        {
            if let Some(name_node) = var.get("name")
                && let Some(name) = name_node.as_str()
            {
                let mut a = ask(AskSource::Registry, name, name_node);
                a.description = text_of(var.get("description"));
                a.secret = flag(var.get("isSecret"));
                a.server.clone_from(&server);
                a.group = group;
                facts.asks.push(a);
            }
        }
        for key in ["packageArguments", "runtimeArguments"] {
            for arg in package.get(key).map(Node::items).unwrap_or_default() {
                argument(arg, &server, group, facts);
            }
        }
        group += 1;
    }
    for remote in root.get("remotes").map(Node::items).unwrap_or_default() {
        for header in remote.get("headers").map(Node::items).unwrap_or_default() {
            if let Some(name_node) = header.get("name")
                && let Some(name) = name_node.as_str()
            {
                let mut a = ask(AskSource::Registry, name, name_node);
                a.description = format!(
                    "{} {}",
                    text_of(header.get("description")),
                    text_of(header.get("value"))
                );
                a.secret = flag(header.get("isSecret"));
                a.server.clone_from(&server);
                a.group = group;
                facts.asks.push(a);
            }
        }
        group += 1;
    }
}

/// A package or runtime argument: a named flag (`--access-token`), or `-e NAME={v}`
/// setting a variable of the container.
fn argument(arg: &Node, server: &str, group: usize, facts: &mut FileFacts) {
    let variables_secret = arg
        .get("variables")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .any(|v| flag(v.value.get("isSecret")));
    let variables_text: Vec<String> = arg
        .get("variables")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .map(|v| text_of(v.value.get("description")))
        .collect();
    let description = format!(
        "{} {} {}",
        text_of(arg.get("description")),
        text_of(arg.get("valueHint")),
        variables_text.join(" ")
    );
    let secret = flag(arg.get("isSecret")) || variables_secret;
    let named = arg.get("type").and_then(Node::as_str) == Some("named");
    let flag_node = arg.get("name");
    let value = arg.get("value").and_then(Node::as_str).unwrap_or("");
    let (name, node) = match flag_node.and_then(|n| n.as_str().map(|s| (s, n))) {
        // `-e NAME={token}`: the variable is the name.
        Some(("-e" | "--env", _)) => match (value.split_once('='), arg.get("value")) {
            (Some((var, _)), Some(node)) => (var, node),
            _ => return,
        },
        Some((f, n)) if named => (f, n),
        _ => match (arg.get("valueHint"), secret) {
            (Some(hint), true) => match hint.as_str() {
                Some(h) => (h, hint),
                None => return,
            },
            _ => return,
        },
    };
    let mut a = ask(AskSource::Registry, name, node);
    a.description = description;
    a.secret = secret;
    a.server = server.to_owned();
    a.group = group;
    facts.asks.push(a);
}

/// Desktop-extension `manifest.json` (`user_config` + `server.mcp_config`) and Claude
/// Code plugins (`userConfig` + `mcpServers`).
fn extension(root: &Node, facts: &mut FileFacts) {
    let Some(config) = root.get("user_config").or_else(|| root.get("userConfig")) else {
        return;
    };
    if !config.is_map() {
        return;
    }
    let runs_server = root.get("server").is_some() || root.get("mcpServers").is_some();
    if !runs_server {
        return;
    }
    let server = text_of(root.get("name"));
    // Which environment variables and flags each key is passed as.
    let mut passed: Vec<(String, String)> = Vec::new();
    root.walk(|path, node| {
        if let Some(text) = node.as_str() {
            for r in references(text) {
                if r.kind == RefKind::UserConfig
                    && let Some(crate::syntax::doc::PathSeg::Key(k)) = path.last()
                {
                    passed.push((r.name.to_owned(), (*k).to_owned()));
                }
            }
        }
    });
    for e in config.entries() {
        let Some(key) = e.key_str() else { continue };
        let mut a = ask(AskSource::Extension, key, &e.key);
        a.description = format!(
            "{} {}",
            text_of(e.value.get("title")),
            text_of(e.value.get("description"))
        );
        a.secret = flag(e.value.get("sensitive"));
        a.server.clone_from(&server);
        a.aliases = passed
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, var)| var.clone())
            .collect();
        facts.asks.push(a);
    }
}

/// `ENV_NAME: config.key` and `--flag=${config.key}` in a Smithery `commandFunction`.
static SMITHERY_PASS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"([A-Za-z_][A-Za-z0-9_-]*)["']?\s*[:=]\s*\$?\{?\s*config\.([A-Za-z0-9_]+)"#).ok()
});

fn smithery(root: &Node, facts: &mut FileFacts) {
    let start = root.get("startCommand").unwrap_or(root);
    let Some(props) = start.get_path(&["configSchema", "properties"]) else {
        return;
    };
    let command = text_of(start.get("commandFunction"));
    let passed: Vec<(String, String)> = SMITHERY_PASS
        .as_ref()
        .map(|re| {
            re.captures_iter(&command)
                .map(|c| (c[2].to_owned(), c[1].to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let server = text_of(root.get("name"));
    for e in props.entries() {
        let Some(key) = e.key_str() else { continue };
        let mut a = ask(AskSource::Smithery, key, &e.key);
        a.description = format!(
            "{} {}",
            text_of(e.value.get("title")),
            text_of(e.value.get("description"))
        );
        a.secret = flag(e.value.get("secret")) || text_of(e.value.get("format")) == "password";
        a.server.clone_from(&server);
        a.aliases = passed
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.trim_start_matches('-').to_owned())
            .collect();
        facts.asks.push(a);
    }
}

/// VS Code `inputs` (also nested under `mcp`).
fn inputs(root: &Node, facts: &mut FileFacts) {
    let lists = [root.get("inputs"), root.get_path(&["mcp", "inputs"])];
    for input in lists.into_iter().flatten().flat_map(Node::items) {
        if let Some(id_node) = input.get("id")
            && let Some(id) = id_node.as_str()
        {
            let mut a = ask(AskSource::Input, id, id_node);
            a.description = text_of(input.get("description"));
            a.secret = flag(input.get("password"));
            facts.asks.push(a);
        }
    }
}

/// Keys of a `.env` template left empty or holding a placeholder for the user to
/// replace. Filled-in values are literals, which the credential rules judge.
fn env_template(root: &Node, facts: &mut FileFacts) {
    for e in root.entries() {
        let Some(key) = e.key_str() else { continue };
        let value = e.value.as_text().unwrap_or("");
        let blank = value.trim().is_empty() || is_placeholder(value.trim());
        if blank && credential_like(key) {
            let mut a = ask(AskSource::EnvTemplate, key, &e.key);
            a.secret = true;
            facts.asks.push(a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::model::catalog::Catalog;
    use crate::syntax::classify::{classify_path, refine};
    use crate::syntax::source::SourceFile;

    /// The asks of one file, as `(source, name, aliases, secret)`.
    fn asks_of(path: &str, text: &str) -> Vec<(AskSource, String, Vec<String>, bool)> {
        let kind = refine(classify_path(path), text);
        let file = SourceFile::new(path, kind, text.as_bytes().to_vec());
        let parsed = crate::syntax::parse::parse(&file)
            .expect("parses")
            .expect("a parsed kind");
        let catalog = Catalog::builtin().unwrap();
        let creds = catalog.scan(text.as_bytes());
        let facts = super::super::extract(kind, &Arc::from(path), &parsed, text, &creds, catalog);
        facts
            .asks
            .into_iter()
            .map(|a| (a.source, a.name, a.aliases, a.secret))
            .collect()
    }

    #[test]
    fn registry_variables_arguments_and_headers() {
        let asks = asks_of(
            "server.json",
            r#"{ "name": "x", "packages": [{ "identifier": "@acme/x",
                 "environmentVariables": [{ "name": "SUPABASE_ACCESS_TOKEN", "isSecret": true }],
                 "runtimeArguments": [
                   { "type": "named", "name": "-e", "value": "GITHUB_PAT={t}", "variables": { "t": { "isSecret": true } } },
                   { "type": "named", "name": "--access-token", "description": "token" }
                 ] }],
               "remotes": [{ "url": "https://x", "headers": [{ "name": "Authorization", "isSecret": true }] }] }"#,
        );
        let names: Vec<&str> = asks.iter().map(|a| a.1.as_str()).collect();
        assert_eq!(
            names,
            [
                "SUPABASE_ACCESS_TOKEN",
                "GITHUB_PAT",
                "--access-token",
                "Authorization"
            ]
        );
        assert!(asks.iter().all(|a| a.0 == AskSource::Registry));
        assert!(asks[0].3 && asks[1].3 && !asks[2].3 && asks[3].3);
    }

    #[test]
    fn extension_user_config_knows_the_variables_it_fills() {
        let asks = asks_of(
            "manifest.json",
            r#"{ "manifest_version": "0.3", "name": "x",
                 "server": { "mcp_config": { "command": "node", "env": { "GITHUB_TOKEN": "${user_config.token}" } } },
                 "user_config": { "token": { "title": "Token", "sensitive": true } } }"#,
        );
        assert_eq!(
            asks,
            [(
                AskSource::Extension,
                "token".to_owned(),
                vec!["GITHUB_TOKEN".to_owned()],
                true
            )]
        );
    }

    #[test]
    fn smithery_schema_and_command_function() {
        let asks = asks_of(
            "smithery.yaml",
            "startCommand:\n  type: stdio\n  configSchema:\n    type: object\n    properties:\n      roamToken:\n        type: string\n  commandFunction: |-\n    (config) => ({ command: 'node', env: { ROAM_API_TOKEN: config.roamToken } })\n",
        );
        assert_eq!(
            asks,
            [(
                AskSource::Smithery,
                "roamToken".to_owned(),
                vec!["ROAM_API_TOKEN".to_owned()],
                false
            )]
        );
    }

    #[test]
    fn inputs_and_templates() {
        let asks = asks_of(
            ".vscode/mcp.json",
            r#"{ "inputs": [{ "id": "pat", "type": "promptString", "password": true }], "servers": {} }"#,
        );
        assert_eq!(asks, [(AskSource::Input, "pat".to_owned(), vec![], true)]);
        let asks = asks_of(
            ".env.example",
            "LINEAR_API_KEY=\nFIGMA_API_KEY=your_key_here\nPORT=3000\nBUILD_NUMBER=42\n",
        );
        let names: Vec<&str> = asks.iter().map(|a| a.1.as_str()).collect();
        assert_eq!(names, ["LINEAR_API_KEY", "FIGMA_API_KEY"]);
        assert!(asks_of(".env", "LINEAR_API_KEY=\n").is_empty());
    }

    #[test]
    fn env_templates() {
        for p in [
            ".env.example",
            "server/.env.sample",
            ".env.dist",
            ".env.template",
            "example.env",
            ".env.local.example",
        ] {
            assert!(is_env_template(p), "{p}");
        }
        for p in [".env", ".env.local", "prod.env", ".env.production"] {
            assert!(!is_env_template(p), "{p}");
        }
    }
}
