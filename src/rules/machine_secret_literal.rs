use crate::findings::Finding;
use crate::rules::{FileCx, Rule, credential};

declare_rule! {
    /// ## What it finds
    /// A literal machine credential committed to the repository: Slack bot and app
    /// tokens (`xoxb-`, `xapp-`), OpenAI project and service-account keys (`sk-proj-`,
    /// `sk-svcacct-`), Anthropic API keys (`sk-ant-api03-`), AWS access keys (`AKIA…`,
    /// `ASIA…`), secret access keys and session tokens, Bedrock API keys (`ABSK…`),
    /// GitLab runner, deploy and trigger tokens, Hugging Face organization tokens, Stripe
    /// live keys, Google API keys and OAuth client secrets, Microsoft Entra client
    /// secrets, private keys (PEM and OpenSSH), and the keys agents and MCP servers
    /// carry: model and search APIs whose keys belong to an account rather than a person
    /// (Groq `gsk_`, Replicate `r8_`, xAI `xai-`, Perplexity `pplx-`, Tavily `tvly-`,
    /// Firecrawl `fc-`, Pinecone `pcsk_`, Neon `napi_`; Mistral, DeepSeek, Exa and
    /// Brave keys next to their names), integration and app tokens (Notion `ntn_`,
    /// Supabase `sb_secret_`, Vercel `vci_`/`vck_`, Netlify build tokens, Cloudflare
    /// account tokens `cfat_`, Sentry organization tokens, Shopify `shpat_`, SendGrid
    /// `SG.`, Twilio, Discord and Telegram bot tokens, Grafana `glsa_`/`glc_`, Doppler
    /// service tokens, 1Password service accounts `ops_`, Pulumi `pul-`, PlanetScale,
    /// Fly deploy tokens). Passwords too: literal `*_PASSWORD`/`*_PASSWD`/`*_PWD`
    /// variables, `password:` keys, ADO.NET, ODBC and JDBC connection strings
    /// (`Password=`, `Pwd=`, `;password=`) and connection URLs, except placeholders and
    /// local defaults (`changeme`, `password`, `postgres`, `proxypass`-like values) and
    /// commented-out lines. One credential that a workload holds in several places is
    /// one finding, with the other places as related locations. When an AI agent holds
    /// the secret, severity goes one step up.
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
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        credential::check(&Self::META, cx, false, out);
    }
}
