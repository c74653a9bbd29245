//! What marks a workload as an AI agent: markers in names and images, model-provider
//! API key variables, agent actions.

/// Marks of an AI agent in names, images and commands.
const AGENT_MARKERS: &[&str] = &[
    "agent",
    "claude",
    "anthropic",
    "openai",
    "gpt",
    "llm",
    "langchain",
    "langgraph",
    "crewai",
    "autogen",
    "mcp",
    "copilot",
    "codex",
    "gemini",
    "aider",
    "bedrock",
    "ollama",
    "assistant",
];

/// Environment variables that hand a workload an LLM API key.
pub(crate) const LLM_KEY_VARS: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "OPENAI_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "MISTRAL_API_KEY",
    "GROQ_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "HF_TOKEN",
    "COHERE_API_KEY",
];

/// GitHub Actions that run an AI agent.
pub const AGENT_ACTIONS: &[&str] = &[
    "anthropics/claude-code-action",
    "anthropics/claude-code-base-action",
    "openai/codex-action",
    "google-github-actions/run-gemini-cli",
    "github/copilot",
    "paul-gauthier/aider",
    "aider-ai/aider",
    "coderabbitai/",
    "qodo-ai/pr-agent",
    "codium-ai/pr-agent",
];

/// The agent marker (`agent`, `claude`, `bedrock`, ...) a name contains, if any.
pub fn agent_marker(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    AGENT_MARKERS.iter().copied().find(|m| lower.contains(m))
}
