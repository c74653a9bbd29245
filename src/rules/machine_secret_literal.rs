use crate::findings::Finding;
use crate::rules::{FileCx, Rule, RuleMeta, credential};

declare_rule! {
    /// ## What it finds
    /// A literal machine credential committed to the repository: Slack bot and app
    /// tokens (`xoxb-`, `xapp-`), OpenAI project and service-account keys (`sk-proj-`,
    /// `sk-svcacct-`), Anthropic API keys (`sk-ant-api03-`), AWS access keys (`AKIA…`,
    /// `ASIA…`), secret access keys and session tokens, Bedrock API keys (`ABSK…`),
    /// GitLab runner, deploy and trigger tokens, Hugging Face organization tokens, Stripe
    /// live keys, Google API keys and OAuth client secrets, Microsoft Entra client
    /// secrets, private keys (PEM and OpenSSH), passwords in connection URLs. When an AI
    /// agent holds the secret, severity goes one step up.
    ///
    /// ## Why it matters
    /// A committed secret is valid until someone rotates it, and everyone who can read
    /// the repository (and its forks, caches and CI logs) can use it. It also tends to be
    /// shared by every workload that needs "the key", so nothing can be attributed.
    ///
    /// ## What to do instead
    /// Prefer federation that issues short-lived credentials (OIDC to AWS/GCP/Azure,
    /// IRSA, workload identity). Where a static key is unavoidable, keep it in a secret
    /// store, one per agent, and reference it (`secretKeyRef`, `${{ secrets.X }}`).
    ///
    /// ## Example
    /// ```dotenv
    /// SLACK_BOT_TOKEN=xoxb-…
    /// ```
    /// Use instead `SLACK_BOT_TOKEN=${SLACK_BOT_TOKEN}` filled from a secret store.
    pub(crate) struct MachineSecretLiteral {
        id: "machine-secret-literal",
        family: StaticSecret,
        severity: High,
        confidence: High,
        summary: "A literal machine credential committed to the repository",
    }
}

impl Rule for MachineSecretLiteral {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        credential::check(&Self::META, cx, false, out);
    }
}
