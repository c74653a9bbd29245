use crate::findings::Finding;
use crate::rules::{FileCx, Rule, credential};

declare_rule! {
    /// ## What it finds
    /// A literal credential whose format marks it as a person's: GitHub personal access
    /// tokens (`ghp_`, `github_pat_`), OAuth and user-to-server tokens (`gho_`, `ghu_`,
    /// `ghr_`), GitLab `glpat-` and CI job tokens (`glcbt-`), Slack user tokens (`xoxp-`,
    /// rotating `xoxe.xoxp-`, refresh `xoxe-`), a Claude subscription token
    /// (`sk-ant-oat01-`, what `claude setup-token` prints), Anthropic and OpenAI admin
    /// keys (`sk-ant-admin01-`, `sk-admin-`: an organization admin's authority), Hugging
    /// Face `hf_`, npm `npm_`, Atlassian `ATATT` (and legacy 24-character tokens next
    /// to a Jira or Confluence name), Databricks `dapi`, Azure DevOps PATs, Google OAuth
    /// access (`ya29.`) and refresh tokens, and the personal tokens MCP servers ask for:
    /// Supabase `sbp_`, Figma `figd_`, Linear `lin_api_`, Vercel `vcp_`, Netlify
    /// `nfp_`/`nfc_`, Cloudflare user tokens and Global API keys (`cfut_`, `cfk_`),
    /// DigitalOcean `dop_v1_` (and OAuth `doo_v1_`/`dor_v1_`), Fly `fo1_`, Render
    /// `rnd_`, Sentry user tokens `sntryu_`, Postman `PMAK-`, Doppler `dp.pt.`/`dp.ct.`,
    /// Airtable `pat…`, Asana PATs, Slack browser sessions (`xoxc-`, `xoxd-`), the Claude
    /// refresh token `sk-ant-ort01-`; GitLab tokens with a self-managed instance prefix
    /// (`acme-glpat-…`) too. A format that does not tell its owner (a Neon `napi_` key,
    /// an OpenAI project key) held under a name from the names table
    /// (`NEON_PERSONAL_API_KEY`) is reported here at medium confidence. In any file:
    /// `.env`, MCP configs, YAML, HCL, Dockerfile `ENV`, workflows. One credential that
    /// a workload holds in several places (an env var and a header, a step that writes
    /// it to `$GITHUB_ENV` for later steps) is one finding with the other places as
    /// related locations. The message names the kind
    /// ("GitHub classic personal access token: acts as the person who created it");
    /// when the credential sits in an AI agent (an MCP server, an agent container, an
    /// agent workflow job), severity goes one step up.
    ///
    /// ## Why it matters
    /// An agent holding a person's token runs as that person. Every action lands in the
    /// audit log under their name, the blast radius is everything they can reach, and
    /// the token lives until they revoke it. GitHub classic tokens carry a checksum:
    /// when it verifies, confidence is high; when it does not, the finding stays with low
    /// confidence (it may be a fake).
    ///
    /// ## What to do instead
    /// Give the agent its own identity: a GitHub App installation token, a Slack bot
    /// token (`xoxb-`), a service principal, or workload identity federation. Keep the
    /// secret in a secret store and reference it (`${{ secrets.AGENT_APP_TOKEN }}`,
    /// `secretKeyRef`).
    ///
    /// ## Example
    /// ```json
    /// { "mcpServers": { "github": { "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_…" } } } }
    /// ```
    /// Use instead a token minted per run for a GitHub App, passed as `${GITHUB_TOKEN}`.
    pub(crate) struct HumanToken {
        id: "human-token",
        family: BorrowedCredential,
        severity: Critical,
        confidence: High,
        summary: "A literal credential that belongs to a person",
    }
}

impl Rule for HumanToken {
    fn check_file(&self, cx: &FileCx<'_>, out: &mut Vec<Finding>) {
        credential::check(&Self::META, cx, true, out);
    }
}
