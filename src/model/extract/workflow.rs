//! GitHub Actions workflows: each job is a workload; the token permissions and steps
//! of each job.

use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::model::agent::{AgentKnowledge, AgentSignals};
use crate::model::facts::{FileFacts, Flow, Workload, WorkloadKind};
use crate::model::github::{self, Job, PermissionScope, Permissions, Workflow};
use crate::model::identity::{Identity, IdentityUse};
use crate::model::runtime::{Step, StepList, WorkloadKey};
use crate::model::settings::Field;
use crate::syntax::doc::{Document, Node};
use crate::syntax::shell::shell_words;

use super::refs::{RefKind, references};
use super::{Extract, github_secret_refs};

/// `echo "NAME=value" >> $GITHUB_ENV` (or `$GITHUB_OUTPUT`), quoted or not.
static EXPORT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)(?:echo|printf)\s+(?:-[a-z]+\s+)*["']?([A-Za-z_][A-Za-z0-9_-]*)=([^\n]*?)["']?\s*>>\s*["']?\$\{?(GITHUB_ENV|GITHUB_OUTPUT)\}?["']?"#,
    )
    .ok()
});

/// What each step of a job writes to `$GITHUB_ENV`/`$GITHUB_OUTPUT`, and where later
/// steps read it.
fn flows(steps: &[Node], out: &mut Vec<Flow>) {
    let Some(re) = EXPORT.as_ref() else { return };
    for (i, step) in steps.iter().enumerate() {
        let Some(run) = step.get("run") else { continue };
        let Some(script) = run.as_str() else { continue };
        for c in re.captures_iter(script) {
            let (var, value, file) = (&c[1], &c[2], &c[3]);
            let name = if file == "GITHUB_ENV" {
                var.to_owned()
            } else {
                match step.get("id").and_then(Node::as_str) {
                    Some(id) => format!("steps.{id}.outputs.{var}"),
                    None => continue,
                }
            };
            let kind = if file == "GITHUB_ENV" {
                RefKind::Env
            } else {
                RefKind::StepOutput
            };
            let mut uses = Vec::new();
            for later in &steps[i + 1..] {
                later.walk(|_, node| {
                    if let Some(text) = node.as_str()
                        && references(text)
                            .iter()
                            .any(|r| r.kind == kind && r.name == name)
                    {
                        uses.push(node.span);
                    }
                });
            }
            out.push(Flow {
                name,
                via: if file == "GITHUB_ENV" {
                    "$GITHUB_ENV"
                } else {
                    "$GITHUB_OUTPUT"
                },
                from: run.span,
                value_refs: references(value)
                    .iter()
                    .map(|r| r.name.to_owned())
                    .collect(),
                uses,
            });
        }
    }
}

impl Extract<'_> {
    pub(super) fn workflow(&self, doc: &Document, facts: &mut FileFacts) {
        let Some(jobs) = doc.root.get("jobs") else {
            return;
        };
        for job in jobs.entries() {
            let id = job.key_str().unwrap_or("<job>");
            let mut signals = AgentSignals::default();
            let k = AgentKnowledge::builtin();
            if let Some(k) = k
                && id == k.copilot_setup.job
            {
                signals.strong(format!(
                    "it is `{id}`, the job GitHub's Copilot coding agent prepares its environment with"
                ));
            }
            // A reusable workflow that runs an agent (`jobs.x.uses`).
            let job_uses = job.value.get("uses").and_then(Node::as_str);
            let step_uses = job
                .value
                .get("steps")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .filter_map(|step| step.get("uses").and_then(Node::as_str));
            for uses in job_uses.into_iter().chain(step_uses) {
                if let Some(a) = k.and_then(|k| k.action(uses)) {
                    signals.strong(format!("it runs `{}`", a.uses.trim_end_matches('/')));
                }
            }
            // Model keys in a job's environment: weak, since the test suites of LLM
            // libraries hold them without running an agent.
            for env in std::iter::once(job.value.get("env")).chain(
                job.value
                    .get("steps")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .map(|s| s.get("env")),
            ) {
                for e in env.map(Node::entries).unwrap_or_default() {
                    if let Some(name) = e.key_str() {
                        signals.env_var(name, true);
                    }
                }
            }
            signals.name(id);
            let mut identities = Vec::new();
            flows(
                job.value.get("steps").map(Node::items).unwrap_or_default(),
                &mut facts.flows,
            );
            for step in job.value.get("steps").map(Node::items).unwrap_or_default() {
                let uses = step.get("uses").and_then(Node::as_str).unwrap_or("");
                if uses.starts_with("aws-actions/configure-aws-credentials")
                    && let Some(role) = step.get_path(&["with", "role-to-assume"])
                    && let Some(arn) = role.as_str()
                    && !arn.contains("${{")
                {
                    identities.push(IdentityUse {
                        identity: Identity::AwsRole(
                            crate::model::identity::role_name_from_arn(arn)
                                .unwrap_or(arn)
                                .to_owned(),
                        ),
                        span: role.span,
                    });
                }
            }
            job.value.walk(|_, node| {
                if let Some(text) = node.as_str() {
                    for name in github_secret_refs(text) {
                        if name != "GITHUB_TOKEN" {
                            identities.push(IdentityUse {
                                identity: Identity::GithubSecret(name.to_owned()),
                                span: node.span,
                            });
                        }
                    }
                }
            });
            self.credentials_in(job.value.span, &mut identities);
            identities.dedup_by(|a, b| a.identity == b.identity);
            let key = WorkloadKey::WorkflowJob(id.to_owned());
            facts.workloads.push(Workload {
                name: key.to_string(),
                key,
                kind: WorkloadKind::WorkflowJob,
                path: Arc::clone(self.path),
                span: job.key.span,
                extent: job.key.span.join(job.value.span),
                agent: None,
                signals,
                identities,
                harness: None,
            });
        }
    }
}

/// The steps of each job of a workflow, and of a composite action (`runs.steps`).
pub(super) fn step_lists(doc: &Document, out: &mut Vec<StepList>) {
    for job in doc.root.get("jobs").map(Node::entries).unwrap_or_default() {
        out.push(StepList {
            job: job.key_str().map(str::to_owned),
            composite: false,
            steps: steps(job.value.get("steps")),
        });
    }
    if let Some(list) = doc.root.get_path(&["runs", "steps"]) {
        out.push(StepList {
            job: None,
            composite: true,
            steps: steps(Some(list)),
        });
    }
}

fn steps(list: Option<&Node>) -> Vec<Step> {
    list.map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(|step| {
            let run = step.get("run");
            Step {
                uses: step.get("uses").map(Field::of),
                run: run.map(Field::of),
                commands: run.and_then(Node::as_str).map(commands).unwrap_or_default(),
                with: step
                    .get("with")
                    .map(Node::entries)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|e| Some((e.key_str()?.to_owned(), Field::of(&e.value))))
                    .collect(),
            }
        })
        .collect()
}

/// A script's simple commands, as words (separators dropped, empty commands kept so
/// a caller can count them).
fn commands(script: &str) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    for word in shell_words(script) {
        if word.is_separator() {
            out.push(Vec::new());
        } else if let Some(last) = out.last_mut() {
            last.push(word.text);
        }
    }
    out
}

/// The token permissions of a workflow document with `jobs`: the workflow's, each
/// job's own, and each job's steps and `env`.
pub(super) fn permissions(doc: &Document, index: usize, out: &mut Vec<Workflow>) {
    let Some(jobs) = doc.root.get("jobs") else {
        return;
    };
    out.push(Workflow {
        doc: index,
        permissions: doc.root.get("permissions").map(permissions_of),
        jobs: jobs
            .entries()
            .iter()
            .map(|job| Job {
                id: job.key_str().unwrap_or("<job>").to_owned(),
                key_span: job.key.span,
                permissions: job.value.get("permissions").map(permissions_of),
                env: pairs(job.value.get("env")),
                steps: job
                    .value
                    .get("steps")
                    .map(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .map(|step| github::Step {
                        uses: step.get("uses").and_then(Node::as_str).map(str::to_owned),
                        run: step.get("run").and_then(Node::as_str).map(str::to_owned),
                        with: pairs(step.get("with")),
                        env: pairs(step.get("env")),
                    })
                    .collect(),
            })
            .collect(),
    });
}

fn permissions_of(node: &Node) -> Permissions {
    Permissions {
        span: node.span,
        text: node.as_str().map(str::to_owned),
        scopes: node
            .entries()
            .iter()
            .map(|e| PermissionScope {
                scope: e.key_str().map(str::to_owned),
                level: e.value.as_str().map(str::to_owned),
                span: e.value.span,
            })
            .collect(),
    }
}

/// The entries of a mapping with text keys, each value kept when it is a literal.
fn pairs(node: Option<&Node>) -> Vec<(String, Option<String>)> {
    node.map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| Some((e.key_str()?.to_owned(), e.value.as_str().map(str::to_owned))))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::model::catalog::Catalog;
    use crate::syntax::classify::FileKind;
    use crate::syntax::source::SourceFile;

    #[test]
    fn values_passed_through_github_env_and_output_reach_later_steps() {
        let text = "jobs:\n  a:\n    steps:\n      - id: s\n        run: |\n          echo \"TOK=${{ secrets.JANE_PAT }}\" >> \"$GITHUB_ENV\"\n          echo \"out=${{ secrets.X }}\" >> $GITHUB_OUTPUT\n      - run: gh pr list --token \"$TOK\"\n      - with:\n          t: ${{ steps.s.outputs.out }}\n";
        let file = SourceFile::new(
            ".github/workflows/a.yml",
            FileKind::GithubWorkflow,
            text.as_bytes().to_vec(),
        );
        let parsed = crate::syntax::parse::parse(&file).unwrap().unwrap();
        let catalog = Catalog::builtin().unwrap();
        let facts = super::super::extract(
            FileKind::GithubWorkflow,
            &Arc::from(".github/workflows/a.yml"),
            &parsed,
            text,
            &[],
            catalog,
        );
        let flows: Vec<(&str, &str, &[String], usize)> = facts
            .flows
            .iter()
            .map(|f| {
                (
                    f.name.as_str(),
                    f.via,
                    f.value_refs.as_slice(),
                    f.uses.len(),
                )
            })
            .collect();
        assert_eq!(
            flows,
            [
                ("TOK", "$GITHUB_ENV", &["JANE_PAT".to_owned()][..], 1),
                (
                    "steps.s.outputs.out",
                    "$GITHUB_OUTPUT",
                    &["X".to_owned()][..],
                    1
                ),
            ]
        );
    }
}
