//! Terraform modules from public registries read as the resources they create
//! (`rules/modules.toml`): which calls match, whether they create anything, and what
//! each input stands for.

use std::sync::OnceLock;

use serde::Deserialize;

const BUILTIN: &str = include_str!("../../rules/modules.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleTable {
    pub version: u32,
    pub module: Vec<ModuleSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleSpec {
    /// For messages: `terraform-aws-modules/iam iam-user`.
    pub title: String,
    pub sources: Vec<String>,
    /// The module's path in its repository (`modules/iam-user`).
    pub path: String,
    /// What it creates, for messages (`IAM user`).
    pub creates: String,
    /// The input naming what it creates.
    #[serde(default)]
    pub name_input: Option<String>,
    /// Inputs that turn the whole module off, with their defaults.
    #[serde(default)]
    pub enabled: Vec<Switch>,
    /// Outputs that hand out the access key it mints.
    #[serde(default)]
    pub key_outputs: Vec<String>,
    #[serde(default)]
    pub input: Vec<InputSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    pub input: String,
    pub default: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    pub input: String,
    pub reads_as: ReadsAs,
    /// For boolean inputs: the module's default.
    #[serde(default)]
    pub default: Option<bool>,
    /// For `policy-if`: the managed policy attached when the input is true.
    #[serde(default)]
    pub policy: Option<String>,
}

/// What a module input stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadsAs {
    /// A boolean: the module mints an access key for the user it creates.
    AccessKey,
    /// A list or map of managed policy ARNs attached to what it creates.
    PolicyArns,
    /// A boolean: when true, the module attaches `policy`.
    PolicyIf,
    /// A list of AWS principals (ARNs, account ids, `*`) trusted to assume the role.
    TrustedArns,
    /// A list of services trusted to assume the role.
    TrustedServices,
}

impl ModuleTable {
    /// The table shipped in the binary (a test proves it parses).
    pub fn builtin() -> Option<&'static ModuleTable> {
        static T: OnceLock<Option<ModuleTable>> = OnceLock::new();
        T.get_or_init(|| toml::from_str(BUILTIN).ok()).as_ref()
    }

    /// The entry a module `source` names: a registry address
    /// (`terraform-aws-modules/iam/aws//modules/iam-user`) or a git URL
    /// (`git::https://github.com/terraform-aws-modules/terraform-aws-iam.git//modules/iam-user?ref=v5.60.0`).
    pub fn find(&self, source: &str) -> Option<&ModuleSpec> {
        let source = source
            .split('?')
            .next()
            .unwrap_or(source)
            .to_ascii_lowercase();
        let (repo, path) = source.rsplit_once("//")?;
        let path = path.trim_matches('/');
        self.module.iter().find(|m| {
            m.path.eq_ignore_ascii_case(path)
                && m.sources
                    .iter()
                    .any(|s| repo.contains(&s.to_ascii_lowercase()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_parses_and_matches_sources() {
        let t = ModuleTable::builtin().expect("rules/modules.toml parses");
        assert_eq!(t.version, 1);
        let user = t
            .find("terraform-aws-modules/iam/aws//modules/iam-user")
            .expect("registry source");
        assert_eq!(user.path, "modules/iam-user");
        assert!(
            t.find("git::https://github.com/terraform-aws-modules/terraform-aws-iam.git//modules/iam-assumable-role?ref=v5.60.0")
                .is_some()
        );
        assert!(t.find("terraform-aws-modules/iam/aws").is_none());
        assert!(t.find("./modules/iam-user").is_none());
        assert!(t.find("acme/iam/aws//modules/iam-user").is_none());
        for m in &t.module {
            for i in &m.input {
                assert_eq!(
                    i.policy.is_some(),
                    i.reads_as == ReadsAs::PolicyIf,
                    "{}: {}",
                    m.title,
                    i.input
                );
            }
        }
    }
}
