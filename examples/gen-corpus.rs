//! Benchmark corpus: a deterministic, realistic monorepo with planted findings.
//!
//! ```sh
//! cargo run --release --example gen-corpus -- --out DIR --scale N
//! ```
//!
//! Scale 1 is about 20 MB in about 5,000 scanned files; the size grows linearly with
//! the scale. Most files are irrelevant source code (Rust, Python, JavaScript,
//! Markdown), as in a real monorepo; the rest are Terraform, CloudFormation,
//! Kubernetes manifests and Helm charts, compose files, MCP configs, workflows, `.env`
//! files and Dockerfiles written the way careful teams write them (no finding). A
//! gitignored `node_modules/` adds files that a scanner must not read.
//!
//! Every `--scale` unit plants one finding set of every family at known places and
//! lists each planted `(rule, path)` in `DIR/.lanyard-bench-expected.json`. Fake
//! credentials are generated here (they contain `LanyardBench`) and checked against the
//! catalog, so none is committed.

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use lanyard::catalog::{Catalog, github_token_with_checksum};

type Res<T> = Result<T, Box<dyn Error>>;

/// xorshift64*: tiny, deterministic, good enough for text.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| char::from(alphabet[self.below(alphabet.len())]))
            .collect()
    }
}

const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ALNUMDASH: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
const DIGITS: &[u8] = b"0123456789";

const WORDS: &[&str] = &[
    "account", "batch", "buffer", "cache", "client", "config", "context", "cursor", "deadline",
    "decode", "entry", "event", "field", "filter", "frame", "handle", "header", "index", "invoice",
    "item", "job", "key", "ledger", "limit", "listener", "loader", "metric", "node", "offset",
    "order", "owner", "page", "parser", "payload", "pending", "queue", "reader", "record",
    "region", "report", "request", "response", "result", "retry", "route", "schema", "session",
    "shard", "signal", "snapshot", "source", "state", "status", "stream", "target", "task",
    "tenant", "ticket", "timer", "total", "user", "value", "version", "window", "worker", "writer",
];

const PROSE: &[&str] = &[
    "the",
    "service",
    "reads",
    "orders",
    "from",
    "the",
    "queue",
    "and",
    "writes",
    "them",
    "to",
    "storage",
    "each",
    "request",
    "is",
    "retried",
    "with",
    "backoff",
    "when",
    "upstream",
    "fails",
    "configuration",
    "comes",
    "from",
    "environment",
    "variables",
    "see",
    "below",
    "for",
    "details",
    "metrics",
    "are",
    "exported",
    "on",
    "port",
    "9090",
    "logs",
    "go",
    "to",
    "stdout",
    "in",
    "JSON",
    "deployments",
    "roll",
    "out",
    "through",
    "the",
    "usual",
    "pipeline",
    "owners",
    "review",
    "changes",
    "before",
    "release",
    "tests",
    "run",
    "on",
    "every",
    "pull",
    "request",
];

const URLS: &[&str] = &[
    "https://docs.rs/tokio/latest/tokio/",
    "https://github.com/acme/platform/issues/1234",
    "https://developer.mozilla.org/en-US/docs/Web/API/fetch",
    "https://docs.python.org/3/library/asyncio.html",
    "https://kubernetes.io/docs/concepts/workloads/pods/",
    "http://localhost:8080/healthz",
    "https://wiki.acme.internal/display/PLAT/Runbooks",
];

fn ident(rng: &mut Rng) -> String {
    let a = rng.pick(WORDS);
    let b = rng.pick(WORDS);
    format!("{a}_{b}")
}

fn camel(rng: &mut Rng) -> String {
    let mut s = String::new();
    for w in [rng.pick(WORDS), rng.pick(WORDS)] {
        let mut c = w.chars();
        if let Some(f) = c.next() {
            s.push(f.to_ascii_uppercase());
            s.extend(c);
        }
    }
    s
}

fn sentence(rng: &mut Rng, (lo, hi): (usize, usize)) -> String {
    let words = rng.range(lo, hi);
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(rng.pick(PROSE));
    }
    s
}

/// Source text with realistic line lengths (mostly 20-90 columns, a few longer) and a
/// link in a comment now and then, as real code has.
fn rust_file(rng: &mut Rng, target: usize) -> String {
    let mut s = String::from("use std::collections::HashMap;\nuse std::sync::Arc;\n\n");
    while s.len() < target {
        let name = ident(rng);
        let ty = camel(rng);
        if rng.chance(15) {
            let _ = writeln!(s, "/// {}.", sentence(rng, (6, 14)));
        }
        if rng.chance(5) {
            let _ = writeln!(s, "/// See <{}>.", rng.pick(URLS));
        }
        let _ = writeln!(
            s,
            "pub fn {name}(input: &{ty}, limit: usize) -> Result<Vec<{ty}>, Error> {{"
        );
        for _ in 0..rng.range(3, 14) {
            let a = ident(rng);
            let b = ident(rng);
            match rng.below(5) {
                0 => {
                    let _ = writeln!(s, "    let {a} = input.{b}.iter().take(limit).count();");
                }
                1 => {
                    let _ = writeln!(s, "    if {a} > limit {{ return Err(Error::{ty}); }}");
                }
                2 => {
                    let _ = writeln!(s, "    // {}", sentence(rng, (4, 12)));
                }
                3 => {
                    let _ = writeln!(
                        s,
                        "    let {a}: HashMap<String, Arc<{ty}>> = HashMap::with_capacity({});",
                        rng.range(1, 512)
                    );
                }
                _ => {
                    let _ = writeln!(
                        s,
                        "    tracing::debug!({a} = ?{b}, \"{}\");",
                        sentence(rng, (4, 4))
                    );
                }
            }
        }
        s.push_str("    Ok(Vec::new())\n}\n\n");
    }
    s
}

fn python_file(rng: &mut Rng, target: usize) -> String {
    let mut s = String::from("import logging\nimport os\nfrom dataclasses import dataclass\n\n");
    s.push_str("log = logging.getLogger(__name__)\n\n");
    while s.len() < target {
        let name = ident(rng);
        let _ = writeln!(s, "\ndef {name}(self, {}, limit=100):", ident(rng));
        let _ = writeln!(s, "    \"\"\"{}.\"\"\"", sentence(rng, (5, 12)));
        for _ in 0..rng.range(3, 12) {
            let a = ident(rng);
            let b = ident(rng);
            match rng.below(5) {
                0 => {
                    let _ = writeln!(
                        s,
                        "    {a} = [x for x in self.{b} if x is not None][:limit]"
                    );
                }
                1 => {
                    let _ = writeln!(
                        s,
                        "    if len({a}) > limit:\n        raise ValueError(\"{}\")",
                        sentence(rng, (5, 5))
                    );
                }
                2 => {
                    let _ = writeln!(s, "    # {}", sentence(rng, (4, 12)));
                }
                3 => {
                    let _ = writeln!(
                        s,
                        "    log.info(\"%s %s\", {a}, os.environ.get(\"{}\", \"\"))",
                        ident(rng).to_uppercase()
                    );
                }
                _ => {
                    let _ = writeln!(s, "    # docs: {}", rng.pick(URLS));
                }
            }
        }
        s.push_str("    return None\n");
    }
    s
}

fn js_file(rng: &mut Rng, target: usize) -> String {
    let mut s = String::from("'use strict';\n\nconst assert = require('node:assert');\n\n");
    while s.len() < target {
        let name = camel(rng);
        let _ = writeln!(
            s,
            "export async function load{name}(client, options = {{}}) {{"
        );
        for _ in 0..rng.range(3, 12) {
            let a = ident(rng);
            match rng.below(4) {
                0 => {
                    let _ = writeln!(
                        s,
                        "  const {a} = await client.get(`/api/v1/{}/${{options.id}}`);",
                        rng.pick(WORDS)
                    );
                }
                1 => {
                    let _ = writeln!(s, "  // {}", sentence(rng, (4, 12)));
                }
                2 => {
                    let _ = writeln!(s, "  assert.ok({a}, '{}');", sentence(rng, (4, 4)));
                }
                _ => {
                    let _ = writeln!(
                        s,
                        "  if (!options.{a}) {{ options.{a} = {}; }}",
                        rng.range(0, 1000)
                    );
                }
            }
        }
        s.push_str("  return options;\n}\n\n");
    }
    s
}

fn markdown_file(rng: &mut Rng, target: usize, title: &str) -> String {
    let mut s = format!("# {title}\n\n");
    while s.len() < target {
        let _ = writeln!(s, "## {}\n", camel(rng));
        for _ in 0..rng.range(2, 5) {
            let _ = writeln!(s, "{}.", sentence(rng, (12, 30)));
        }
        if rng.chance(40) {
            let _ = writeln!(s, "\nSee [the docs]({}).", rng.pick(URLS));
        }
        s.push('\n');
    }
    s
}

/// Fake credentials, each checked against the catalog so a catalog change that stops
/// matching them fails the generator instead of silently weakening the benchmark.
struct Tokens<'a> {
    catalog: &'a Catalog,
    rng: Rng,
}

impl Tokens<'_> {
    fn checked(&self, spec_id: &str, token: String) -> Res<String> {
        let found = self.catalog.scan(format!("X={token}\n").as_bytes());
        let ok = found.iter().any(|m| {
            self.catalog
                .specs
                .get(m.spec)
                .is_some_and(|s| s.id == spec_id)
        });
        if ok {
            Ok(token)
        } else {
            Err(format!("generated {spec_id} token does not match the catalog").into())
        }
    }
    fn github_pat(&mut self) -> Res<String> {
        let payload = format!("LanyardBench{}", self.rng.chars(ALNUM, 18));
        self.checked(
            "github-pat-classic",
            github_token_with_checksum("ghp_", &payload),
        )
    }
    fn claude_oauth(&mut self) -> Res<String> {
        let body = format!("LanyardBench-{}", self.rng.chars(ALNUMDASH, 82));
        self.checked("anthropic-oauth-token", format!("sk-ant-oat01-{body}AA"))
    }
    fn slack_bot(&mut self) -> Res<String> {
        let t = format!(
            "xoxb-{}-{}-LanyardBench{}",
            self.rng.chars(DIGITS, 12),
            self.rng.chars(DIGITS, 13),
            self.rng.chars(ALNUM, 12)
        );
        self.checked("slack-bot-token", t)
    }
    fn huggingface(&mut self) -> Res<String> {
        let t = format!("hf_LanyardBench{}", self.rng.chars(ALNUM, 22));
        self.checked("huggingface-user-token", t)
    }
}

struct Corpus {
    root: PathBuf,
    files: usize,
    bytes: u64,
    expected: Vec<(&'static str, String)>,
}

impl Corpus {
    fn write(&mut self, rel: &str, text: &str) -> Res<()> {
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, text)?;
        if !rel.starts_with("node_modules/") {
            self.files += 1;
            self.bytes += text.len() as u64;
        }
        Ok(())
    }

    fn plant(&mut self, rel: &str, text: &str, rules: &[&'static str]) -> Res<()> {
        self.write(rel, text)?;
        for r in rules {
            self.expected.push((r, rel.to_owned()));
        }
        Ok(())
    }
}

const LANGS: &[&str] = &["rs", "py", "js", "md"];

/// One service of the monorepo: source files and the deployment files of a careful team.
fn service(c: &mut Corpus, rng: &mut Rng, id: usize) -> Res<()> {
    let name = format!("{}-{}", rng.pick(WORDS), rng.pick(WORDS));
    let svc = format!("{name}-{id:04}");
    let dir = format!("services/{svc}");
    let lang = rng.pick(LANGS);
    for f in 0..rng.range(30, 46) {
        // Most files are a few KB; one in twenty is a large generated or vendored one.
        let size = if rng.chance(5) {
            rng.range(20_000, 40_000)
        } else {
            rng.range(1_000, 5_500)
        };
        let lang = if rng.chance(80) {
            lang
        } else {
            rng.pick(LANGS)
        };
        let stem = ident(rng);
        let (rel, text) = match lang {
            "rs" => (format!("{dir}/src/{stem}_{f}.rs"), rust_file(rng, size)),
            "py" => (
                format!("{dir}/{}/{stem}_{f}.py", name.replace('-', "_")),
                python_file(rng, size),
            ),
            "js" => (format!("{dir}/lib/{stem}_{f}.js"), js_file(rng, size)),
            _ => {
                let title = camel(rng);
                (
                    format!("{dir}/docs/{stem}_{f}.md"),
                    markdown_file(rng, size, &title),
                )
            }
        };
        c.write(&rel, &text)?;
    }
    c.write(&format!("{dir}/README.md"), &{
        let n = rng.range(1_500, 4_000);
        markdown_file(rng, n, &svc)
    })?;
    c.write(
        &format!("{dir}/Dockerfile"),
        &format!(
            "FROM cgr.dev/chainguard/wolfi-base:latest AS build\nWORKDIR /src\nCOPY . .\nRUN make build\n\nFROM cgr.dev/chainguard/static:latest\nCOPY --from=build /src/out/{svc} /usr/local/bin/{svc}\nUSER 65532:65532\nENV LOG_LEVEL=info PORT=8080\nENTRYPOINT [\"/usr/local/bin/{svc}\"]\n"
        ),
    )?;
    c.write(
        &format!("{dir}/.env"),
        &format!(
            "# Local development defaults; secrets come from the vault agent.\nLOG_LEVEL=debug\nPORT=8080\nSERVICE_NAME={svc}\nDATABASE_URL=postgres://{svc}:${{DB_PASSWORD}}@localhost:5432/{svc}\nOTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317\n"
        ),
    )?;
    c.write(
        &format!("{dir}/k8s/deployment.yaml"),
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {svc}\n  namespace: {svc}\n  labels:\n    app.kubernetes.io/name: {svc}\nspec:\n  replicas: {}\n  selector:\n    matchLabels: {{ app: {svc} }}\n  template:\n    metadata:\n      labels: {{ app: {svc} }}\n    spec:\n      serviceAccountName: {svc}\n      automountServiceAccountToken: false\n      securityContext:\n        runAsNonRoot: true\n      containers:\n        - name: app\n          image: ghcr.io/acme/{svc}:1.{}.{}\n          ports:\n            - containerPort: 8080\n          env:\n            - name: LOG_LEVEL\n              value: info\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef: {{ name: {svc}-db, key: password }}\n          resources:\n            limits: {{ cpu: 500m, memory: 256Mi }}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {svc}\n  namespace: {svc}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {svc}\n  namespace: {svc}\nspec:\n  selector: {{ app: {svc} }}\n  ports:\n    - port: 80\n      targetPort: 8080\n",
            rng.range(1, 6),
            rng.range(0, 30),
            rng.range(0, 9)
        ),
    )?;
    c.write(
        &format!("{dir}/charts/{svc}/values.yaml"),
        &format!(
            "replicaCount: 2\nimage:\n  repository: ghcr.io/acme/{svc}\n  tag: \"\"\nserviceAccount:\n  create: true\n  name: {svc}\nresources:\n  limits:\n    cpu: 500m\n    memory: 256Mi\n"
        ),
    )?;
    c.write(
        &format!("{dir}/charts/{svc}/templates/deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"chart.fullname\" . }}\n  labels:\n    {{- include \"chart.labels\" . | nindent 4 }}\nspec:\n  replicas: {{ .Values.replicaCount }}\n  template:\n    spec:\n      serviceAccountName: {{ .Values.serviceAccount.name }}\n      automountServiceAccountToken: false\n      containers:\n        - name: app\n          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}\"\n          resources:\n            {{- toYaml .Values.resources | nindent 12 }}\n",
    )?;
    if rng.chance(50) {
        c.write(
            &format!("{dir}/docker-compose.yml"),
            &format!(
                "services:\n  app:\n    build: .\n    environment:\n      - LOG_LEVEL=debug\n      - DATABASE_URL=postgres://{svc}:${{DB_PASSWORD}}@db:5432/{svc}\n    ports:\n      - \"8080:8080\"\n    volumes:\n      - ./data:/data\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD_FILE: /run/secrets/db_password\n"
            ),
        )?;
    }
    if rng.chance(20) {
        c.write(
            &format!("{dir}/.mcp.json"),
            "{\n  \"mcpServers\": {\n    \"fetch\": {\n      \"command\": \"uvx\",\n      \"args\": [\"mcp-server-fetch\"]\n    },\n    \"filesystem\": {\n      \"command\": \"npx\",\n      \"args\": [\"-y\", \"@modelcontextprotocol/server-filesystem\", \"./docs\"]\n    }\n  }\n}\n",
        )?;
    }
    Ok(())
}

fn terraform_module(c: &mut Corpus, rng: &mut Rng, id: usize) -> Res<()> {
    let name = format!("{}-{}-{id:03}", rng.pick(WORDS), rng.pick(WORDS));
    let dir = format!("infra/terraform/{name}");
    let mut main = String::new();
    for i in 0..rng.range(3, 10) {
        let _ = write!(
            main,
            "resource \"aws_s3_bucket\" \"b{i}\" {{\n  bucket = \"acme-{name}-{i}\"\n  tags = {{\n    Team    = \"platform\"\n    Service = \"{name}\"\n  }}\n}}\n\n"
        );
    }
    let _ = write!(
        main,
        "data \"aws_iam_policy_document\" \"read\" {{\n  statement {{\n    actions   = [\"s3:GetObject\", \"s3:ListBucket\"]\n    resources = [aws_s3_bucket.b0.arn, \"${{aws_s3_bucket.b0.arn}}/*\"]\n  }}\n}}\n\nresource \"aws_iam_role\" \"svc\" {{\n  name               = \"{name}\"\n  assume_role_policy = data.aws_iam_policy_document.trust.json\n}}\n\ndata \"aws_iam_policy_document\" \"trust\" {{\n  statement {{\n    actions = [\"sts:AssumeRole\"]\n    principals {{\n      type        = \"Service\"\n      identifiers = [\"ecs-tasks.amazonaws.com\"]\n    }}\n  }}\n}}\n\nresource \"aws_iam_role_policy\" \"read\" {{\n  role   = aws_iam_role.svc.id\n  policy = data.aws_iam_policy_document.read.json\n}}\n"
    );
    c.write(&format!("{dir}/main.tf"), &main)?;
    c.write(
        &format!("{dir}/variables.tf"),
        "variable \"region\" {\n  type    = string\n  default = \"eu-west-1\"\n}\n\nvariable \"environment\" {\n  type = string\n}\n",
    )?;
    c.write(
        &format!("{dir}/outputs.tf"),
        "output \"role_arn\" {\n  value = aws_iam_role.svc.arn\n}\n",
    )?;
    Ok(())
}

fn cloudformation(c: &mut Corpus, rng: &mut Rng, id: usize) -> Res<()> {
    let name = camel(rng);
    c.write(
        &format!("infra/cloudformation/{}-{id:03}.yaml", name.to_ascii_lowercase()),
        &format!(
            "AWSTemplateFormatVersion: \"2010-09-09\"\nDescription: {name} storage\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: acme-{id}-{}\n  ReadRole:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Principal: {{ Service: lambda.amazonaws.com }}\n            Action: sts:AssumeRole\n      Policies:\n        - PolicyName: read\n          PolicyDocument:\n            Version: \"2012-10-17\"\n            Statement:\n              - Effect: Allow\n                Action: [\"s3:GetObject\"]\n                Resource: !Sub \"${{Bucket.Arn}}/*\"\n",
            rng.pick(WORDS)
        ),
    )
}

fn workflow(c: &mut Corpus, rng: &mut Rng, id: usize) -> Res<()> {
    let name = format!("{}-{id:03}", rng.pick(WORDS));
    c.write(
        &format!(".github/workflows/{name}.yml"),
        &format!(
            "name: {name}\non:\n  pull_request:\n    paths: [\"services/**\"]\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@08eba0b27e820071cde6df949e0beb9ba4906955 # v4.3.0\n        with:\n          persist-credentials: false\n      - run: make test SERVICE={name}\n        env:\n          CARGO_TERM_COLOR: always\n"
        ),
    )
}

/// Files the scanner must skip: `node_modules/` is gitignored.
fn node_modules(c: &mut Corpus, rng: &mut Rng, id: usize) -> Res<()> {
    let pkg = format!("{}-{}", rng.pick(WORDS), id);
    for f in 0..5 {
        let n = rng.range(1_000, 8_000);
        let text = js_file(rng, n);
        c.write(&format!("node_modules/{pkg}/lib/{f}.js"), &text)?;
    }
    c.write(
        &format!("node_modules/{pkg}/package.json"),
        &format!("{{\"name\": \"{pkg}\", \"version\": \"1.0.{id}\"}}\n"),
    )
}

/// One set of planted findings, every family, under `planted/set-NNN` and at the
/// repository paths where the tools look (workflows, MCP configs).
fn plant(c: &mut Corpus, t: &mut Tokens<'_>, i: usize) -> Res<()> {
    let d = format!("planted/set-{i:03}");
    // borrowed-credential: a person's GitHub token in an MCP config.
    let ghp = t.github_pat()?;
    c.plant(
        &format!("{d}/.mcp.json"),
        &format!(
            "{{\n  \"mcpServers\": {{\n    \"github\": {{\n      \"command\": \"docker\",\n      \"args\": [\"run\", \"-i\", \"--rm\", \"-e\", \"GITHUB_PERSONAL_ACCESS_TOKEN\", \"ghcr.io/github/github-mcp-server\"],\n      \"env\": {{\n        \"GITHUB_PERSONAL_ACCESS_TOKEN\": \"{ghp}\"\n      }}\n    }}\n  }}\n}}\n"
        ),
        &["human-token", "human-token-reference"],
    )?;
    // borrowed-credential and static-secret in a .env file.
    let oat = t.claude_oauth()?;
    let slack = t.slack_bot()?;
    c.plant(
        &format!("{d}/agent/.env"),
        &format!(
            "# Local settings for the triage agent.\nLOG_LEVEL=info\nCLAUDE_CODE_OAUTH_TOKEN={oat}\nSLACK_BOT_TOKEN={slack}\n"
        ),
        &["human-token", "machine-secret-literal"],
    )?;
    // A token inside ordinary source code: only the catalog scan can find it.
    let hf = t.huggingface()?;
    c.plant(
        &format!("{d}/notebooks/embed.py"),
        &format!("from huggingface_hub import login\n\n# TODO: move to the secret store\nlogin(token=\"{hf}\")\n"),
        &["human-token"],
    )?;
    c.plant(
        &format!("{d}/home/.netrc"),
        "machine api.github.com\n  login jane-doe\n  password LanyardBench-netrc-password-NotReal\n",
        &["user-oauth-credentials"],
    )?;
    c.plant(
        &format!("{d}/docker-compose.yml"),
        &format!(
            "services:\n  agent-sandbox-{i}:\n    image: ghcr.io/acme/agent-sandbox:0.3\n    volumes:\n      - ./workspace:/workspace\n      - ~/.aws:/root/.aws:ro\n      - /var/run/docker.sock:/var/run/docker.sock\n"
        ),
        &["human-credential-mount", "agent-host-escape"],
    )?;
    c.plant(
        &format!("{d}/config/agent.env"),
        "DB_USER=jane.doe\nGIT_AUTHOR_EMAIL=priya.sharma@acme-corp.io\n",
        &["personal-identity"],
    )?;
    // shared-identity: an agent on the default service account.
    c.plant(
        &format!("{d}/k8s/summary-agent.yaml"),
        &format!(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly-summary-{i}\n  namespace: agents-{i}\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n            - name: summarize\n              image: ghcr.io/acme/summary-agent:0.9.0\n"
        ),
        &["default-service-account"],
    )?;
    // shared-identity and audit-trail: two agent jobs on one key, an anonymous role session.
    c.plant(
        &format!(".github/workflows/planted-claude-{i:03}.yml"),
        &format!(
            "name: claude-review-{i}\non:\n  pull_request:\n    types: [opened, synchronize]\npermissions:\n  contents: read\n  pull-requests: write\n  id-token: write\njobs:\n  review:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: aws-actions/configure-aws-credentials@7474bc4690e29a8392af63c5b98e7449536d5c3a # v4.3.1\n        with:\n          role-to-assume: arn:aws:iam::123456789012:role/agent-runtime-{i}\n          aws-region: eu-west-1\n      - uses: anthropics/claude-code-action@ac1a3207f3f00b4a37e2f3a6f0935733c7c64651 # v1\n        with:\n          anthropic_api_key: ${{{{ secrets.ANTHROPIC_API_KEY_{i} }}}}\n  triage:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: anthropics/claude-code-action@ac1a3207f3f00b4a37e2f3a6f0935733c7c64651 # v1\n        with:\n          anthropic_api_key: ${{{{ secrets.ANTHROPIC_API_KEY_{i} }}}}\n          prompt: Label this issue.\n"
        ),
        &["anonymous-role-session", "identity-shared-by-agents"],
    )?;
    // excessive-scope, every kind.
    c.plant(
        &format!(".github/workflows/planted-triage-{i:03}.yml"),
        // A key per set: one key in every set would be an identity shared by agents.
        &format!(
            "name: triage\non: issues\npermissions: write-all\njobs:\n  triage:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: openai/codex-action@v1\n        with:\n          openai-api-key: ${{{{ secrets.OPENAI_API_KEY_{i} }}}}\n"
        ),
        &["gha-broad-permissions"],
    )?;
    c.plant(
        &format!("{d}/.cursor/mcp.json"),
        "{\n  // Cursor reads JSONC.\n  \"mcpServers\": {\n    \"filesystem\": {\n      \"command\": \"npx\",\n      \"args\": [\"-y\", \"@modelcontextprotocol/server-filesystem\", \"/\"],\n    },\n  },\n}\n",
        &["agent-host-escape"],
    )?;
    c.plant(
        &format!("{d}/infra/agent.tf"),
        &format!(
            "resource \"aws_iam_role\" \"agent\" {{\n  name               = \"agent-runtime-{i}\"\n  assume_role_policy = data.aws_iam_policy_document.trust.json\n}}\n\nresource \"aws_iam_role_policy\" \"agent\" {{\n  name = \"agent-everything\"\n  role = aws_iam_role.agent.id\n  policy = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [{{ Effect = \"Allow\", Action = \"*\", Resource = \"*\" }}]\n  }})\n}}\n\nresource \"aws_iam_role_policy_attachment\" \"agent_admin\" {{\n  role       = aws_iam_role.agent.name\n  policy_arn = \"arn:aws:iam::aws:policy/AdministratorAccess\"\n}}\n\nresource \"aws_bedrockagent_agent\" \"triage\" {{\n  agent_name              = \"triage-{i}\"\n  agent_resource_role_arn = aws_iam_role.agent.arn\n  foundation_model        = \"anthropic.claude-3-5-sonnet-20240620-v1:0\"\n}}\n\ndata \"aws_iam_policy_document\" \"runner\" {{\n  statement {{\n    actions   = [\"iam:AttachRolePolicy\", \"iam:GetRole\"]\n    resources = [\"*\"]\n  }}\n}}\n\nresource \"aws_iam_role_policy\" \"runner\" {{\n  role   = aws_iam_role.agent.id\n  policy = data.aws_iam_policy_document.runner.json\n}}\n\ndata \"aws_iam_policy_document\" \"trust\" {{\n  statement {{\n    actions = [\"sts:AssumeRole\"]\n    principals {{\n      type        = \"Service\"\n      identifiers = [\"bedrock.amazonaws.com\"]\n    }}\n  }}\n}}\n"
        ),
        &[
            "wildcard-iam-action",
            "wildcard-iam-resource",
            "admin-managed-policy",
            "privilege-escalation-action",
        ],
    )?;
    c.plant(
        &format!("{d}/policies/ops.json"),
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": [\"ec2:DescribeInstances\", \"ec2:TerminateInstances\"],\n      \"Resource\": \"*\"\n    }\n  ]\n}\n",
        &["wildcard-iam-resource"],
    )?;
    c.plant(
        &format!("{d}/k8s/rbac.yaml"),
        &format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: everything-{i}\nrules:\n  - apiGroups: [\"*\"]\n    resources: [\"*\"]\n    verbs: [\"*\"]\n"
        ),
        &["k8s-broad-rbac"],
    )?;
    c.plant(
        &format!("{d}/config/oauth.env"),
        "GOOGLE_OAUTH_SCOPES=\"https://www.googleapis.com/auth/drive https://www.googleapis.com/auth/calendar.readonly\"\n",
        &["broad-oauth-scope"],
    )?;
    // static-secret: a long-lived cloud key in CloudFormation.
    c.plant(
        &format!("{d}/cfn/agent-user.yaml"),
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  AgentUser:\n    Type: AWS::IAM::User\n  AgentKey:\n    Type: AWS::IAM::AccessKey\n    Properties:\n      UserName: !Ref AgentUser\nOutputs:\n  SecretKey:\n    Value: !GetAtt AgentKey.SecretAccessKey\n",
        &["long-lived-cloud-key"],
    )?;
    Ok(())
}

fn usage() -> Box<dyn Error> {
    "usage: gen-corpus --out DIR [--scale N]  (scale 1 is about 20 MB)".into()
}

fn main() -> Res<()> {
    let mut out: Option<PathBuf> = None;
    let mut scale: usize = 1;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = Some(args.next().ok_or_else(usage)?.into()),
            "--scale" => scale = args.next().ok_or_else(usage)?.parse()?,
            _ => return Err(usage()),
        }
    }
    let root = out.ok_or_else(usage)?;
    if scale == 0 {
        return Err(usage());
    }
    if root.exists() && std::fs::read_dir(&root)?.next().is_some() {
        return Err(format!("{} exists and is not empty", root.display()).into());
    }
    let catalog = Catalog::builtin().map_err(|e| e.to_string())?;
    let mut c = Corpus {
        root: root.clone(),
        files: 0,
        bytes: 0,
        expected: Vec::new(),
    };
    let mut tokens = Tokens {
        catalog,
        rng: Rng::new(0x1A2B),
    };
    c.write(".gitignore", "node_modules/\ntarget/\n*.log\n")?;
    c.write(
        "README.md",
        "# acme platform\n\nThe monorepo: services, infrastructure, CI.\n",
    )?;
    // Every part has its own generator, so adding files to one kind does not shift
    // the content of the others.
    let mut rng = Rng::new(42);
    for id in 0..100 * scale {
        service(&mut c, &mut rng, id)?;
    }
    let mut rng = Rng::new(43);
    for id in 0..25 * scale {
        terraform_module(&mut c, &mut rng, id)?;
    }
    let mut rng = Rng::new(44);
    for id in 0..15 * scale {
        cloudformation(&mut c, &mut rng, id)?;
    }
    let mut rng = Rng::new(45);
    for id in 0..10 * scale {
        workflow(&mut c, &mut rng, id)?;
    }
    let mut rng = Rng::new(46);
    for id in 0..60 * scale {
        node_modules(&mut c, &mut rng, id)?;
    }
    for i in 0..scale {
        plant(&mut c, &mut tokens, i)?;
    }
    let mut manifest = String::from("{\n  \"scale\": ");
    let _ = write!(
        manifest,
        "{scale},\n  \"files\": {},\n  \"bytes\": {},\n  \"expected\": [\n",
        c.files, c.bytes
    );
    for (n, (rule, path)) in c.expected.iter().enumerate() {
        let comma = if n + 1 < c.expected.len() { "," } else { "" };
        let _ = writeln!(
            manifest,
            "    {{\"rule\": \"{rule}\", \"path\": \"{path}\"}}{comma}"
        );
    }
    manifest.push_str("  ]\n}\n");
    std::fs::write(root.join(".lanyard-bench-expected.json"), manifest)?;
    eprintln!(
        "{}: {} files, {:.1} MB scanned (plus node_modules/), {} planted findings",
        display(&root),
        c.files,
        c.bytes as f64 / 1e6,
        c.expected.len()
    );
    Ok(())
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
